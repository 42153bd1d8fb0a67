#include "server/storage/storagerules.h"

namespace Switchboard::Server {

StorageRules::~StorageRules() = default;

} // namespace Switchboard::Server
