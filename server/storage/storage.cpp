#include "server/storage/storage.h"

namespace Switchboard::Server {

Storage::~Storage() = default;

} // namespace Switchboard::Server
