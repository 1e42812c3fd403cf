// SPDX-License-Identifier: Apache-2.0
#pragma once
// A temporary file without a name, in SQLite's temporary folder: its space
// returns when it is closed, or when tsync exits or is killed; nothing is left
// to clean.

#include <cstddef>
#include <cstdint>
#include <string>

namespace tsync {

// SQLite's temporary folder, as its unix VFS picks it: SQLITE_TMPDIR, else
// TMPDIR, else /var/tmp, /usr/tmp, /tmp (the first that is a writable folder).
std::string temporary_folder();

// Opens a new unnamed file in `folder` for reading and writing (a named one,
// unlinked at once, where the filesystem has no unnamed files). Returns the
// descriptor, or -1 with errno set.
int open_unnamed_file(const std::string& folder);

// Writes the `size` bytes at `data` to `fd` at `offset`, whatever number of
// writes it takes. Returns 0, or the errno of the write that failed (ENOSPC
// for one that wrote nothing).
int write_at(int fd, std::uint64_t offset, const void* data, std::size_t size);

// An unnamed temporary file written at its end and read anywhere. `what` says
// what it holds, for errors: "writing <what> in a temporary file in <folder>
// failed: <reason> (free some disk space there, or ...)". Not copyable.
class TempFile {
 public:
  explicit TempFile(std::string what) : what_(std::move(what)) {}
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  // Appends `size` bytes and returns where they start. Throws Error.
  std::uint64_t append(const void* data, std::size_t size);
  // Reads up to `size` bytes at `offset`; returns how many (0 at the end).
  // Throws Error.
  std::size_t read(std::uint64_t offset, void* data, std::size_t size) const;
  std::uint64_t size() const { return size_; }
  // Where it is, once something was written.
  const std::string& folder() const { return folder_; }

 private:
  [[noreturn]] void fail(const char* doing, int error) const;

  std::string what_;
  std::string folder_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

}  // namespace tsync
