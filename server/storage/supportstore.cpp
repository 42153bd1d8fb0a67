#include "server/storage/supportstore.h"

namespace Switchboard::Server {

SupportStore::~SupportStore() = default;

} // namespace Switchboard::Server
