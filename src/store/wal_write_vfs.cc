#include "store/wal_write_vfs.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <new>
#include <string>

namespace vigil {
namespace {

constexpr char kVfsName[] = "vigil-wal-write";
// Pending bytes past this are written at once: a commit larger than this costs one write more
// per 8 MB, and memory stays bounded.
constexpr size_t kMaxPendingBytes = 8 << 20;

// The unix VFS writes at most 128 KiB - 1 bytes per call (os_unix.c, seekAndWriteFd masks the
// count with 0x1ffff): larger pending runs go out in pieces of this size.
constexpr size_t kMaxWriteBytes = 31 * 4096;

std::atomic<int64_t> g_gathered{0};
std::atomic<int64_t> g_issued{0};

sqlite3_vfs* g_base = nullptr;  // the default VFS; set once under g_register
sqlite3_vfs g_vfs;              // ours; set once under g_register
std::once_flag g_register;

// The file object SQLite allocates for us (szOsFile bytes): ours first, then the base VFS's.
struct ShimFile {
  sqlite3_file base;  // must be first: SQLite sees a ShimFile* as a sqlite3_file*
  sqlite3_file* real;
  bool gather;               // a WAL file
  bool flush_after_write;    // the last write was the header of a commit frame
  sqlite3_int64 pending_at;  // file offset of pending[0]
  std::string pending;       // appends not yet written
};

constexpr size_t kShimSize = (sizeof(ShimFile) + alignof(std::max_align_t) - 1) /
                             alignof(std::max_align_t) * alignof(std::max_align_t);

ShimFile* Shim(sqlite3_file* f) { return reinterpret_cast<ShimFile*>(f); }
sqlite3_file* Real(sqlite3_file* f) { return Shim(f)->real; }

/// Writes the pending bytes. On failure they are dropped: SQLite then fails the transaction
/// that wrote them, so nothing it acknowledged depended on them.
int Flush(ShimFile* f) {
  int rc = SQLITE_OK;
  for (size_t done = 0; done < f->pending.size() && rc == SQLITE_OK; done += kMaxWriteBytes) {
    const size_t n = std::min(kMaxWriteBytes, f->pending.size() - done);
    rc = f->real->pMethods->xWrite(f->real, f->pending.data() + done, static_cast<int>(n),
                                   f->pending_at + static_cast<sqlite3_int64>(done));
    g_issued.fetch_add(1, std::memory_order_relaxed);
  }
  f->pending.clear();
  return rc;
}

int Close(sqlite3_file* file) {
  ShimFile* f = Shim(file);
  const int flushed = Flush(f);
  const int rc = f->real->pMethods ? f->real->pMethods->xClose(f->real) : SQLITE_OK;
  f->pending.~basic_string();
  return flushed != SQLITE_OK ? flushed : rc;
}

int Read(sqlite3_file* file, void* buf, int amount, sqlite3_int64 offset) {
  if (const int rc = Flush(Shim(file)); rc != SQLITE_OK) return rc;
  return Real(file)->pMethods->xRead(Real(file), buf, amount, offset);
}

// wal.c (walWriteOneFrame) writes each frame as two writes: its 24-byte header, then the page.
// Bytes 4-7 of the header are the database size after a commit for the last frame of a commit,
// and zero for every other frame (https://www.sqlite.org/fileformat.html, "WAL Frame Format").
constexpr int kFrameHeaderBytes = 24;

bool IsCommitFrameHeader(const void* buf, int amount) {
  if (amount != kFrameHeaderBytes) return false;
  const auto* b = static_cast<const unsigned char*>(buf);
  return (b[4] | b[5] | b[6] | b[7]) != 0;
}

int Write(sqlite3_file* file, const void* buf, int amount, sqlite3_int64 offset) {
  ShimFile* f = Shim(file);
  if (!f->gather) return f->real->pMethods->xWrite(f->real, buf, amount, offset);
  g_gathered.fetch_add(1, std::memory_order_relaxed);
  const size_t n = static_cast<size_t>(amount);
  const bool appends = !f->pending.empty() &&
                       offset == f->pending_at + static_cast<sqlite3_int64>(f->pending.size());
  if (!appends) {
    if (const int rc = Flush(f); rc != SQLITE_OK) return rc;
    f->pending_at = offset;
  }
  f->pending.append(static_cast<const char*>(buf), n);
  if (f->flush_after_write || f->pending.size() > kMaxPendingBytes) {
    f->flush_after_write = false;
    return Flush(f);
  }
  // A commit becomes visible to other connections as soon as its last frame is written, sync
  // or not (synchronous=NORMAL commits do not sync): the page that follows a commit frame's
  // header goes out with everything before it.
  f->flush_after_write = IsCommitFrameHeader(buf, amount);
  return SQLITE_OK;
}

int Truncate(sqlite3_file* file, sqlite3_int64 size) {
  if (const int rc = Flush(Shim(file)); rc != SQLITE_OK) return rc;
  return Real(file)->pMethods->xTruncate(Real(file), size);
}

int Sync(sqlite3_file* file, int flags) {
  if (const int rc = Flush(Shim(file)); rc != SQLITE_OK) return rc;
  return Real(file)->pMethods->xSync(Real(file), flags);
}

int FileSize(sqlite3_file* file, sqlite3_int64* size) {
  if (const int rc = Flush(Shim(file)); rc != SQLITE_OK) return rc;
  return Real(file)->pMethods->xFileSize(Real(file), size);
}

int Lock(sqlite3_file* file, int level) { return Real(file)->pMethods->xLock(Real(file), level); }

int Unlock(sqlite3_file* file, int level) {
  return Real(file)->pMethods->xUnlock(Real(file), level);
}

int CheckReservedLock(sqlite3_file* file, int* out) {
  return Real(file)->pMethods->xCheckReservedLock(Real(file), out);
}

int FileControl(sqlite3_file* file, int op, void* arg) {
  // Some controls size or map the file: let them see every byte written so far.
  if (const int rc = Flush(Shim(file)); rc != SQLITE_OK) return rc;
  return Real(file)->pMethods->xFileControl(Real(file), op, arg);
}

int SectorSize(sqlite3_file* file) { return Real(file)->pMethods->xSectorSize(Real(file)); }

int DeviceCharacteristics(sqlite3_file* file) {
  return Real(file)->pMethods->xDeviceCharacteristics(Real(file));
}

int ShmMap(sqlite3_file* file, int page, int size, int extend, void volatile** out) {
  return Real(file)->pMethods->xShmMap(Real(file), page, size, extend, out);
}

int ShmLock(sqlite3_file* file, int offset, int n, int flags) {
  return Real(file)->pMethods->xShmLock(Real(file), offset, n, flags);
}

void ShmBarrier(sqlite3_file* file) { Real(file)->pMethods->xShmBarrier(Real(file)); }

int ShmUnmap(sqlite3_file* file, int delete_flag) {
  return Real(file)->pMethods->xShmUnmap(Real(file), delete_flag);
}

int Fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  if (const int rc = Flush(Shim(file)); rc != SQLITE_OK) return rc;
  return Real(file)->pMethods->xFetch(Real(file), offset, amount, out);
}

int Unfetch(sqlite3_file* file, sqlite3_int64 offset, void* p) {
  return Real(file)->pMethods->xUnfetch(Real(file), offset, p);
}

const sqlite3_io_methods kMethods = {
    3,
    Close,
    Read,
    Write,
    Truncate,
    Sync,
    FileSize,
    Lock,
    Unlock,
    CheckReservedLock,
    FileControl,
    SectorSize,
    DeviceCharacteristics,
    ShmMap,
    ShmLock,
    ShmBarrier,
    ShmUnmap,
    Fetch,
    Unfetch,
};

int Open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  ShimFile* f = Shim(file);
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kShimSize);
  std::memset(f->real, 0, static_cast<size_t>(g_base->szOsFile));
  f->base.pMethods = nullptr;
  const int rc = g_base->xOpen(g_base, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK || f->real->pMethods == nullptr) {
    // SQLite does not call xClose on a file whose pMethods is null; close the real one here.
    if (f->real->pMethods) f->real->pMethods->xClose(f->real);
    return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
  }
  // The shim answers for every method of version 3; the base VFS's files (unix) have them all.
  if (f->real->pMethods->iVersion < 3) {
    f->real->pMethods->xClose(f->real);
    return SQLITE_CANTOPEN;
  }
  f->gather = (flags & SQLITE_OPEN_WAL) != 0;
  f->flush_after_write = false;
  f->pending_at = 0;
  new (&f->pending) std::string();
  f->base.pMethods = &kMethods;
  return SQLITE_OK;
}

int Delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return g_base->xDelete(g_base, name, sync_dir);
}
int Access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return g_base->xAccess(g_base, name, flags, out);
}
int FullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_base->xFullPathname(g_base, name, n, out);
}
void* DlOpen(sqlite3_vfs*, const char* name) { return g_base->xDlOpen(g_base, name); }
void DlError(sqlite3_vfs*, int n, char* out) { g_base->xDlError(g_base, n, out); }
void (*DlSym(sqlite3_vfs*, void* h, const char* sym))(void) {
  return g_base->xDlSym(g_base, h, sym);
}
void DlClose(sqlite3_vfs*, void* h) { g_base->xDlClose(g_base, h); }
int Randomness(sqlite3_vfs*, int n, char* out) { return g_base->xRandomness(g_base, n, out); }
int Sleep(sqlite3_vfs*, int us) { return g_base->xSleep(g_base, us); }
int CurrentTime(sqlite3_vfs*, double* out) { return g_base->xCurrentTime(g_base, out); }
int GetLastError(sqlite3_vfs*, int n, char* out) { return g_base->xGetLastError(g_base, n, out); }
int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  return g_base->xCurrentTimeInt64(g_base, out);
}

void Register() {
  // Memory statistics take a process-wide mutex around every SQLite allocation; Vigil reads none
  // of them. Only possible before SQLite initialises (otherwise SQLITE_MISUSE, and they stay on).
  (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  g_base = sqlite3_vfs_find(nullptr);
  g_vfs = sqlite3_vfs{};
  g_vfs.iVersion = 2;  // no system-call overrides
  g_vfs.szOsFile = static_cast<int>(kShimSize) + g_base->szOsFile;
  g_vfs.mxPathname = g_base->mxPathname;
  g_vfs.zName = kVfsName;
  g_vfs.xOpen = Open;
  g_vfs.xDelete = Delete;
  g_vfs.xAccess = Access;
  g_vfs.xFullPathname = FullPathname;
  g_vfs.xDlOpen = DlOpen;
  g_vfs.xDlError = DlError;
  g_vfs.xDlSym = DlSym;
  g_vfs.xDlClose = DlClose;
  g_vfs.xRandomness = Randomness;
  g_vfs.xSleep = Sleep;
  g_vfs.xCurrentTime = CurrentTime;
  g_vfs.xGetLastError = GetLastError;
  g_vfs.xCurrentTimeInt64 = CurrentTimeInt64;
  sqlite3_vfs_register(&g_vfs, /*makeDflt=*/0);
}

}  // namespace

const char* WalWriteVfsName() {
  std::call_once(g_register, Register);
  return kVfsName;
}

WalWriteVfsStats GetWalWriteVfsStats() {
  return {g_gathered.load(std::memory_order_relaxed), g_issued.load(std::memory_order_relaxed)};
}

}  // namespace vigil
