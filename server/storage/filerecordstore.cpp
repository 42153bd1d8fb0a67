#include "server/storage/filerecordstore.h"

namespace Switchboard::Server {

FileRecordStore::~FileRecordStore() = default;

} // namespace Switchboard::Server
