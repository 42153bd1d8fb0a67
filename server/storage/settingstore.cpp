#include "server/storage/settingstore.h"

namespace Switchboard::Server {

SettingStore::~SettingStore() = default;

} // namespace Switchboard::Server
