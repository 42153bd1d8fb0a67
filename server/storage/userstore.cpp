#include "server/storage/userstore.h"

namespace Switchboard::Server {

UserStore::~UserStore() = default;

} // namespace Switchboard::Server
