// SPDX-License-Identifier: Apache-2.0
#include "common/temp_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/errors.hpp"

namespace tsync {

std::string temporary_folder() {
  auto usable = [](const char* folder) {
    struct stat st {};
    return ::stat(folder, &st) == 0 && S_ISDIR(st.st_mode) && ::access(folder, W_OK | X_OK) == 0;
  };
  for (const char* name : {"SQLITE_TMPDIR", "TMPDIR"}) {
    const char* value = std::getenv(name);
    if (value && *value && usable(value)) return value;
  }
  for (const char* folder : {"/var/tmp", "/usr/tmp", "/tmp"})
    if (usable(folder)) return folder;
  return ".";
}

int open_unnamed_file(const std::string& folder) {
  int fd = ::open(folder.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == ENOENT)) {
    std::string name = folder + "/tsync-XXXXXX";
    fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd >= 0) ::unlink(name.c_str());
  }
  return fd;
}

int write_at(int fd, std::uint64_t offset, const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t put = ::pwrite(fd, p, size, static_cast<off_t>(offset));
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) return put < 0 ? errno : ENOSPC;
    p += put;
    size -= static_cast<std::size_t>(put);
    offset += static_cast<std::uint64_t>(put);
  }
  return 0;
}

TempFile::~TempFile() {
  if (fd_ >= 0) ::close(fd_);
}

void TempFile::fail(const char* doing, int error) const {
  throw Error(std::string(doing) + " " + what_ + " in a temporary file in " + folder_ +
              " failed: " + std::strerror(error) +
              " (free some disk space there, or name a folder with room in SQLITE_TMPDIR, "
              "else TMPDIR; the replica keeps its last committed state)");
}

std::uint64_t TempFile::append(const void* data, std::size_t size) {
  if (fd_ < 0) {
    folder_ = temporary_folder();
    fd_ = open_unnamed_file(folder_);
    if (fd_ < 0) fail("writing", errno);
  }
  const std::uint64_t at = size_;
  if (const int error = write_at(fd_, at, data, size)) fail("writing", error);
  size_ += size;
  return at;
}

std::size_t TempFile::read(std::uint64_t offset, void* data, std::size_t size) const {
  char* p = static_cast<char*>(data);
  std::size_t got = 0;
  while (got < size && fd_ >= 0) {
    const ssize_t n = ::pread(fd_, p + got, size - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("reading", errno);
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  return got;
}

}  // namespace tsync
