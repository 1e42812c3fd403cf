// SPDX-License-Identifier: Apache-2.0
#include "replica/sync_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/errors.hpp"

namespace tsync {

SyncLock::SyncLock(const std::string& replica_path) {
  const std::string lock_path = replica_path + ".lock";
  fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw Error(lock_path + ": cannot open the sync lock file: " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char pid[32] = {};
    const ssize_t n = ::pread(fd_, pid, sizeof pid - 1, 0);
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK) {
      std::string holder = n > 0 ? std::string(pid, static_cast<std::size_t>(n)) : "";
      while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
      throw LockedError("another tsync sync" + (holder.empty() ? "" : " (pid " + holder + ")") +
                        " holds " + replica_path + "; try again when it has finished");
    }
    throw Error(lock_path + ": cannot lock: " + std::strerror(err));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
    // The pid is only for the message another run prints; the lock itself holds.
  }
}

std::optional<long> running_sync_pid(const std::string& replica_path) {
  const std::string lock_path = replica_path + ".lock";
  const int fd = ::open(lock_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;  // no sync ever ran here, or it cannot be read
  std::optional<long> pid;
  if (::flock(fd, LOCK_SH | LOCK_NB) == 0) {
    ::flock(fd, LOCK_UN);  // free: nobody syncs now
  } else if (errno == EWOULDBLOCK) {
    char text[32] = {};
    const ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
    pid = n > 0 ? std::strtol(text, nullptr, 10) : 0;
  }
  ::close(fd);
  return pid;
}

SyncLock::~SyncLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

}  // namespace tsync
