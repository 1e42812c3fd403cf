// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>

namespace tsync {
// The single-sync lock of a replica: an exclusive flock on "<replica>.lock",
// which holds the pid of its owner. Held until destroyed (or the process dies).
class SyncLock {
 public:
  // Throws LockedError naming the holder's pid when another process holds it.
  explicit SyncLock(const std::string& replica_path);
  ~SyncLock();
  SyncLock(const SyncLock&) = delete;
  SyncLock& operator=(const SyncLock&) = delete;

 private:
  int fd_ = -1;
};

// The sync holding the lock of the replica at `replica_path`, if one does. Reads
// "<replica>.lock" without creating it or taking the lock.
std::optional<long> running_sync_pid(const std::string& replica_path);

}  // namespace tsync
