#include "server/storage/walwritebuffer.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace Switchboard::Server {

namespace {

// The wrapped WAL file: our header, then the default VFS's own file object (szOsFile bytes).
struct BufferedFile
{
    sqlite3_file base; // must come first: SQLite sees this
    sqlite3_file *real;
    char *held;
    qint64 heldCapacity;
    qint64 heldStart;
    qint64 heldBytes;
};

sqlite3_vfs *g_default = nullptr;
sqlite3_vfs g_vfs;
sqlite3_io_methods g_methods;

constexpr size_t realOffset()
{
    return (sizeof(BufferedFile) + 7) & ~size_t(7);
}

BufferedFile *cast(sqlite3_file *f)
{
    return reinterpret_cast<BufferedFile *>(f);
}

// The default (unix) VFS writes at most 128 KiB - 1 per call: it masks the length to 17 bits.
constexpr qint64 kMaxWriteBytes = 64 * 1024;

// Writes out whatever is held, in order, in writes of at most kMaxWriteBytes. On a failure what
// was not written stays held (and is tried again, first, by the next call that flushes): dropping
// it would leave a hole in the WAL that a later, successful commit could publish. SQLite sees the
// error now; no commit can succeed before the held bytes are written, because xSync flushes first.
int flushHeld(BufferedFile *f)
{
    qint64 done = 0;
    int rc = SQLITE_OK;
    while (done < f->heldBytes) {
        const qint64 n = std::min(kMaxWriteBytes, f->heldBytes - done);
        rc = f->real->pMethods->xWrite(f->real, f->held + done, int(n), f->heldStart + done);
        if (rc != SQLITE_OK)
            break;
        done += n;
    }
    if (rc != SQLITE_OK && done > 0) {
        std::memmove(f->held, f->held + done, size_t(f->heldBytes - done));
        f->heldStart += done;
    }
    f->heldBytes -= done;
    return rc;
}

int bufClose(sqlite3_file *file)
{
    BufferedFile *f = cast(file);
    const int flushed = flushHeld(f);
    const int closed = f->real->pMethods ? f->real->pMethods->xClose(f->real) : SQLITE_OK;
    std::free(f->held);
    f->held = nullptr;
    f->heldCapacity = 0;
    return flushed != SQLITE_OK ? flushed : closed;
}

int bufRead(sqlite3_file *file, void *out, int amount, sqlite3_int64 offset)
{
    BufferedFile *f = cast(file);
    if (const int rc = flushHeld(f); rc != SQLITE_OK)
        return rc;
    return f->real->pMethods->xRead(f->real, out, amount, offset);
}

int bufWrite(sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset)
{
    BufferedFile *f = cast(file);
    const bool appends = f->heldBytes > 0 && offset == f->heldStart + f->heldBytes;
    if (appends && f->heldBytes + amount <= WalWriteBuffer::kMaxHeldBytes) {
        if (f->heldBytes + amount > f->heldCapacity) {
            const qint64 capacity = std::min<qint64>(
                WalWriteBuffer::kMaxHeldBytes, std::max<qint64>(f->heldCapacity * 2, f->heldBytes + amount));
            char *grown = static_cast<char *>(std::realloc(f->held, size_t(capacity)));
            if (!grown) {
                if (const int rc = flushHeld(f); rc != SQLITE_OK)
                    return rc;
                return f->real->pMethods->xWrite(f->real, data, amount, offset);
            }
            f->held = grown;
            f->heldCapacity = capacity;
        }
        std::memcpy(f->held + f->heldBytes, data, size_t(amount));
        f->heldBytes += amount;
        return SQLITE_OK;
    }
    // Not a continuation (or the limit is reached): what is held goes first, in order.
    if (const int rc = flushHeld(f); rc != SQLITE_OK)
        return rc;
    if (amount >= kMaxWriteBytes)
        return f->real->pMethods->xWrite(f->real, data, amount, offset); // as SQLite asked, unchanged
    if (f->heldCapacity < amount) {
        const qint64 capacity = std::max<qint64>(64 * 1024, amount);
        char *grown = static_cast<char *>(std::realloc(f->held, size_t(capacity)));
        if (!grown)
            return f->real->pMethods->xWrite(f->real, data, amount, offset);
        f->held = grown;
        f->heldCapacity = capacity;
    }
    std::memcpy(f->held, data, size_t(amount));
    f->heldStart = offset;
    f->heldBytes = amount;
    return SQLITE_OK;
}

int bufTruncate(sqlite3_file *file, sqlite3_int64 size)
{
    BufferedFile *f = cast(file);
    if (const int rc = flushHeld(f); rc != SQLITE_OK)
        return rc;
    return f->real->pMethods->xTruncate(f->real, size);
}

int bufSync(sqlite3_file *file, int flags)
{
    BufferedFile *f = cast(file);
    if (const int rc = flushHeld(f); rc != SQLITE_OK)
        return rc;
    return f->real->pMethods->xSync(f->real, flags);
}

int bufFileSize(sqlite3_file *file, sqlite3_int64 *size)
{
    BufferedFile *f = cast(file);
    if (const int rc = flushHeld(f); rc != SQLITE_OK)
        return rc;
    return f->real->pMethods->xFileSize(f->real, size);
}

int bufLock(sqlite3_file *file, int level)
{
    BufferedFile *f = cast(file);
    return f->real->pMethods->xLock(f->real, level);
}

int bufUnlock(sqlite3_file *file, int level)
{
    BufferedFile *f = cast(file);
    return f->real->pMethods->xUnlock(f->real, level);
}

int bufCheckReservedLock(sqlite3_file *file, int *out)
{
    BufferedFile *f = cast(file);
    return f->real->pMethods->xCheckReservedLock(f->real, out);
}

int bufFileControl(sqlite3_file *file, int op, void *arg)
{
    BufferedFile *f = cast(file);
    if (const int rc = flushHeld(f); rc != SQLITE_OK)
        return rc;
    return f->real->pMethods->xFileControl(f->real, op, arg);
}

int bufSectorSize(sqlite3_file *file)
{
    BufferedFile *f = cast(file);
    return f->real->pMethods->xSectorSize(f->real);
}

int bufDeviceCharacteristics(sqlite3_file *file)
{
    BufferedFile *f = cast(file);
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}

// A WAL file has no shared memory of its own (that is the database file's), and the default VFS
// has every method; the checks only keep an unexpected VFS from calling through a null pointer.
int bufShmMap(sqlite3_file *file, int region, int size, int extend, void volatile **out)
{
    BufferedFile *f = cast(file);
    if (f->real->pMethods->iVersion < 2 || !f->real->pMethods->xShmMap)
        return SQLITE_IOERR_SHMMAP;
    return f->real->pMethods->xShmMap(f->real, region, size, extend, out);
}

int bufShmLock(sqlite3_file *file, int offset, int n, int flags)
{
    BufferedFile *f = cast(file);
    if (f->real->pMethods->iVersion < 2 || !f->real->pMethods->xShmLock)
        return SQLITE_IOERR_SHMLOCK;
    return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

void bufShmBarrier(sqlite3_file *file)
{
    BufferedFile *f = cast(file);
    if (f->real->pMethods->iVersion >= 2 && f->real->pMethods->xShmBarrier)
        f->real->pMethods->xShmBarrier(f->real);
}

int bufShmUnmap(sqlite3_file *file, int deleteFlag)
{
    BufferedFile *f = cast(file);
    if (f->real->pMethods->iVersion < 2 || !f->real->pMethods->xShmUnmap)
        return SQLITE_OK;
    return f->real->pMethods->xShmUnmap(f->real, deleteFlag);
}

int bufFetch(sqlite3_file *file, sqlite3_int64 offset, int amount, void **out)
{
    BufferedFile *f = cast(file);
    if (const int rc = flushHeld(f); rc != SQLITE_OK)
        return rc;
    if (f->real->pMethods->iVersion < 3 || !f->real->pMethods->xFetch) {
        *out = nullptr; // "no mapping": SQLite reads instead
        return SQLITE_OK;
    }
    return f->real->pMethods->xFetch(f->real, offset, amount, out);
}

int bufUnfetch(sqlite3_file *file, sqlite3_int64 offset, void *page)
{
    BufferedFile *f = cast(file);
    if (f->real->pMethods->iVersion < 3 || !f->real->pMethods->xUnfetch)
        return SQLITE_OK;
    return f->real->pMethods->xUnfetch(f->real, offset, page);
}

int vfsOpen(sqlite3_vfs *, sqlite3_filename name, sqlite3_file *file, int flags, int *outFlags)
{
    // Everything but a WAL is the default VFS's own file object, unwrapped (it fits: szOsFile is
    // larger than the default's).
    if (!(flags & SQLITE_OPEN_WAL))
        return g_default->xOpen(g_default, name, file, flags, outFlags);
    BufferedFile *f = cast(file);
    std::memset(f, 0, sizeof(BufferedFile));
    f->real = reinterpret_cast<sqlite3_file *>(reinterpret_cast<char *>(file) + realOffset());
    const int rc = g_default->xOpen(g_default, name, f->real, flags, outFlags);
    // Without methods the real file is not open and xClose must not be called on us either.
    f->base.pMethods = f->real->pMethods ? &g_methods : nullptr;
    return rc;
}

int vfsDelete(sqlite3_vfs *, const char *name, int syncDir)
{
    return g_default->xDelete(g_default, name, syncDir);
}

int vfsAccess(sqlite3_vfs *, const char *name, int flags, int *out)
{
    return g_default->xAccess(g_default, name, flags, out);
}

int vfsFullPathname(sqlite3_vfs *, const char *name, int size, char *out)
{
    return g_default->xFullPathname(g_default, name, size, out);
}

void *vfsDlOpen(sqlite3_vfs *, const char *name)
{
    return g_default->xDlOpen(g_default, name);
}

void vfsDlError(sqlite3_vfs *, int size, char *out)
{
    g_default->xDlError(g_default, size, out);
}

void (*vfsDlSym(sqlite3_vfs *, void *handle, const char *symbol))(void)
{
    return g_default->xDlSym(g_default, handle, symbol);
}

void vfsDlClose(sqlite3_vfs *, void *handle)
{
    g_default->xDlClose(g_default, handle);
}

int vfsRandomness(sqlite3_vfs *, int size, char *out)
{
    return g_default->xRandomness(g_default, size, out);
}

int vfsSleep(sqlite3_vfs *, int microseconds)
{
    return g_default->xSleep(g_default, microseconds);
}

int vfsCurrentTime(sqlite3_vfs *, double *out)
{
    return g_default->xCurrentTime(g_default, out);
}

int vfsGetLastError(sqlite3_vfs *, int size, char *out)
{
    return g_default->xGetLastError(g_default, size, out);
}

int vfsCurrentTimeInt64(sqlite3_vfs *, sqlite3_int64 *out)
{
    return g_default->xCurrentTimeInt64(g_default, out);
}

} // namespace

const char *WalWriteBuffer::vfsName()
{
    return "switchboard-walbuffer";
}

bool WalWriteBuffer::install(QString *error)
{
    static std::once_flag once;
    static int result = SQLITE_OK;
    static QString failure;
    std::call_once(once, [] {
        if (sqlite3_initialize() != SQLITE_OK || !(g_default = sqlite3_vfs_find(nullptr))) {
            result = SQLITE_ERROR;
            failure = QStringLiteral("SQLite has no default VFS");
            return;
        }
        if (g_default->iVersion < 2 || !g_default->xCurrentTimeInt64) {
            result = SQLITE_ERROR;
            failure = QStringLiteral("the default SQLite VFS is too old");
            return;
        }
        g_vfs = sqlite3_vfs {};
        g_vfs.iVersion = 2; // no system-call overrides: those belong to the default VFS
        g_vfs.szOsFile = int(realOffset()) + g_default->szOsFile;
        g_vfs.mxPathname = g_default->mxPathname;
        g_vfs.zName = vfsName();
        g_vfs.xOpen = vfsOpen;
        g_vfs.xDelete = vfsDelete;
        g_vfs.xAccess = vfsAccess;
        g_vfs.xFullPathname = vfsFullPathname;
        g_vfs.xDlOpen = vfsDlOpen;
        g_vfs.xDlError = vfsDlError;
        g_vfs.xDlSym = vfsDlSym;
        g_vfs.xDlClose = vfsDlClose;
        g_vfs.xRandomness = vfsRandomness;
        g_vfs.xSleep = vfsSleep;
        g_vfs.xCurrentTime = vfsCurrentTime;
        g_vfs.xGetLastError = vfsGetLastError;
        g_vfs.xCurrentTimeInt64 = vfsCurrentTimeInt64;

        g_methods = sqlite3_io_methods {};
        g_methods.iVersion = 3;
        g_methods.xClose = bufClose;
        g_methods.xRead = bufRead;
        g_methods.xWrite = bufWrite;
        g_methods.xTruncate = bufTruncate;
        g_methods.xSync = bufSync;
        g_methods.xFileSize = bufFileSize;
        g_methods.xLock = bufLock;
        g_methods.xUnlock = bufUnlock;
        g_methods.xCheckReservedLock = bufCheckReservedLock;
        g_methods.xFileControl = bufFileControl;
        g_methods.xSectorSize = bufSectorSize;
        g_methods.xDeviceCharacteristics = bufDeviceCharacteristics;
        g_methods.xShmMap = bufShmMap;
        g_methods.xShmLock = bufShmLock;
        g_methods.xShmBarrier = bufShmBarrier;
        g_methods.xShmUnmap = bufShmUnmap;
        g_methods.xFetch = bufFetch;
        g_methods.xUnfetch = bufUnfetch;

        result = sqlite3_vfs_register(&g_vfs, 0);
        if (result != SQLITE_OK)
            failure = QStringLiteral("sqlite3_vfs_register: %1").arg(QString::fromUtf8(sqlite3_errstr(result)));
    });
    if (result != SQLITE_OK && error)
        *error = failure;
    return result == SQLITE_OK;
}

} // namespace Switchboard::Server
