#include "server/storage/contactstore.h"

namespace Switchboard::Server {

ContactStore::~ContactStore() = default;

} // namespace Switchboard::Server
