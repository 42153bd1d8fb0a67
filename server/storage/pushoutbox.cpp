#include "server/storage/pushoutbox.h"

namespace Switchboard::Server {

PushOutbox::~PushOutbox() = default;

} // namespace Switchboard::Server
