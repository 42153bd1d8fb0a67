#pragma once

#include <QString>

namespace Switchboard::Server {

// A SQLite VFS ("switchboard-walbuffer") that wraps the platform's default VFS and gathers what
// SQLite appends to a write-ahead log during one commit into a single write.
//
// Why: SQLite writes every WAL frame with two write() calls, a 24-byte frame header and then the
// page, and a 4120-byte frame straddles two kernel pages, so a commit of 50 frames costs the kernel
// about 150 page-cache write operations and 100 system calls. Written in one call, the same frames
// cost about 50 page operations: measured on this project's machine, 45 instead of 125 µs of CPU
// per 50-frame commit (see docs/performance.md).
//
// Why this is safe: only files SQLite opens as a WAL are wrapped, and only contiguous appends are
// held back. Anything else on that file - a read, a sync, a truncate, a size query, a write
// elsewhere, closing it - first writes out what is held, in order. Frames become part of the
// database only when SQLite publishes them in the WAL index, which it does after syncing the WAL at
// commit; so this VFS may only be used with PRAGMA synchronous=FULL (or EXTRA), where every commit
// syncs. With NORMAL, a commit would not sync and held frames would be invisible to other
// connections; SqlStorage therefore uses it only with FULL. Held bytes are bounded (kMaxHeldBytes).
class WalWriteBuffer
{
public:
    static constexpr qint64 kMaxHeldBytes = 2 * 1024 * 1024;

    // The VFS name to open a database with (URI parameter vfs=...).
    static const char *vfsName();

    // Registers the VFS with the SQLite this program links (not as the default), once; safe to call
    // from any thread. False (with a reason) if SQLite refused.
    static bool install(QString *error);
};

} // namespace Switchboard::Server
