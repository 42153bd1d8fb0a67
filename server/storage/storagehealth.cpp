#include "server/storage/storagehealth.h"

namespace Switchboard::Server {

StorageHealth::~StorageHealth() = default;

} // namespace Switchboard::Server
