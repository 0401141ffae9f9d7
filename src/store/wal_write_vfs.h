// Internal to store/: a SQLite VFS over the default one that gathers the writes SQLite makes to a
// WAL file into one write per commit.
//
// Why: for every page a commit changes, SQLite writes the 24-byte frame header and then the page,
// two write() calls. A group commit of 60 reports changes a few hundred pages, so the writer spent
// more time entering the kernel than running SQL. Here the appends to a WAL file are kept in
// memory and reach the OS in one write once the last frame of a commit is written (before SQLite
// publishes the commit to other connections in the WAL index, whatever `synchronous` says), and
// whenever SQLite syncs, reads, sizes, truncates or closes the file, or the pending bytes pass a
// bound. Other connections and the disk therefore see what they would see without the shim, in
// the same order; with `synchronous=FULL` a commit is durable when COMMIT returns, as before.
#pragma once

#include <cstdint>

namespace vigil {

/// Registers the VFS once (thread-safe) and returns its name, for sqlite3_open_v2.
const char* WalWriteVfsName();

/// Counters of the VFS, over all connections, for tests.
struct WalWriteVfsStats {
  int64_t wal_writes_gathered = 0;  // writes SQLite made to WAL files
  int64_t wal_writes_issued = 0;    // writes the VFS made to the OS for them
};
WalWriteVfsStats GetWalWriteVfsStats();

}  // namespace vigil
