#pragma once

namespace Switchboard::Server {

// Whether the database answers (for /healthz and the stats); safe to call from any thread.
class StorageHealth
{
public:
    virtual ~StorageHealth();

    // False while the database is unreachable (sends then get `unavailable`).
    virtual bool isAvailable() const = 0;
};

} // namespace Switchboard::Server
