#include "server/storage/messagestore.h"

namespace Switchboard::Server {

MessageStore::~MessageStore() = default;

} // namespace Switchboard::Server
