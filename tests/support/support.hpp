// SPDX-License-Identifier: Apache-2.0
#pragma once

// Helpers shared by the test files: a private temporary directory per test and
// ready-made user records.

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <filesystem>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <vector>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/record.hpp"
#include "common/timestamp.hpp"
#include "config/stream_config.hpp"

namespace tsync::test {

// A new, empty directory under the system's temporary directory, removed with
// everything in it when destroyed.
class TempDir {
 public:
  TempDir() {
    static std::atomic<unsigned> counter{0};
    std::random_device random;
    const auto base = std::filesystem::temp_directory_path();
    for (int attempt = 0; attempt < 100; ++attempt) {
      const auto candidate = base / ("tsync-test-" + std::to_string(::getpid()) + "-" +
                                     std::to_string(counter++) + "-" + std::to_string(random()));
      std::error_code error;
      if (std::filesystem::create_directory(candidate, error)) {
        path_ = candidate;
        return;
      }
    }
    throw std::runtime_error("cannot create a temporary directory under " + base.string());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // The path of `name` inside the directory, as a string.
  std::string file(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Parses a timestamp a test wrote by hand; a typo in a test fails loudly.
inline Instant instant_of(std::string_view text) {
  const auto instant = parse_timestamp(text);
  if (!instant) throw std::invalid_argument("not a timestamp: " + std::string(text));
  return *instant;
}

// The normalised UTC text the replica stores for `text`.
inline std::string utc_text(std::string_view text) { return format_utc(instant_of(text)); }

// A record of (name, kind, text) fields, in that order, whose cursor is the
// ISO timestamp in updatedAt; a tombstone when `tombstone`.
using FieldSpec = std::tuple<std::string, ValueKind, std::string>;
inline Record make_record(const std::vector<FieldSpec>& fields, bool tombstone = false) {
  Record r;
  for (const auto& [name, kind, text] : fields) {
    FieldValue& f = r.add();
    f.name = name;
    f.kind = kind;
    f.text = text;
    if (name == "updatedAt") {
      r.cursor = instant_of(text);
      r.cursor_text = text;
      r.cursor_index = r.size - 1;
    }
  }
  r.tombstone = tombstone;
  return r;
}

// The seed's user stream's table, as the short configuration form declares it.
inline TableSpec user_table() { return user_stream("http://127.0.0.1/").table_spec(); }

// A user record built column by column for tests: the eight fields of the seed's
// user, each text or null, and the API's own updatedAt text. It converts to the
// Record the parser would hand on.
struct UserRecord {
  enum Column : std::size_t {
    kId,
    kName,
    kEmail,
    kAddress,
    kCompany,
    kJob,
    kUpdatedAt,
    kCreatedAt
  };
  static constexpr std::size_t kColumns = 8;
  static constexpr std::array<std::string_view, kColumns> kNames{
      "id", "name", "email", "address", "company", "job", "updatedAt", "createdAt"};
  struct Field {
    std::string text;
    bool null = true;
    void set(std::string_view value) {
      text.assign(value.data(), value.size());
      null = false;
    }
    void clear() {
      text.clear();
      null = true;
    }
  };

  std::array<Field, kColumns> fields;
  Instant updated;
  std::string updated_text;  // updatedAt exactly as the API sent it

  const Field& operator[](Column c) const { return fields[c]; }
  Field& operator[](Column c) { return fields[c]; }

  operator Record() const {
    Record record;
    for (std::size_t i = 0; i < kColumns; ++i) {
      FieldValue& f = record.add();
      f.name = kNames[i];
      f.kind = fields[i].null ? ValueKind::Null : ValueKind::String;
      f.text = i == kUpdatedAt ? updated_text : fields[i].text;
    }
    record.cursor = updated;
    record.cursor_text = updated_text;
    record.cursor_index = kUpdatedAt;
    return record;
  }
};

// A user record as the replica stores it: updatedAt (and createdAt)
// normalised with format_utc, the API's own updatedAt text kept as updated_text.
// Fields not given get plausible values derived from the id.
inline UserRecord make_user(std::string_view id, std::string_view updated_at,
                            std::optional<std::string_view> name = std::nullopt,
                            std::string_view created_at = "2020-01-01T00:00:00Z") {
  UserRecord record;
  const std::string base(id);
  record[UserRecord::kId].set(id);
  record[UserRecord::kName].set(name ? *name : "Name " + base);
  record[UserRecord::kEmail].set(base + "@example.com");
  record[UserRecord::kAddress].set("1 Main Street, Springfield");
  record[UserRecord::kCompany].set("Example Corp");
  record[UserRecord::kJob].set("Engineer");
  record.updated = instant_of(updated_at);
  record.updated_text = std::string(updated_at);
  record[UserRecord::kUpdatedAt].set(format_utc(record.updated));
  record[UserRecord::kCreatedAt].set(utc_text(created_at));
  return record;
}

// Points SQLITE_TMPDIR, where tsync's temporary files go, at a new folder for
// the lifetime of the object, then restores it and removes the folder.
class ScopedTmpdir {
 public:
  ScopedTmpdir() {
    char folder[] = "/tmp/tsync-tmpdir-XXXXXX";
    if (::mkdtemp(folder) == nullptr)
      throw std::runtime_error(std::string("mkdtemp failed: ") + std::strerror(errno));
    path_ = folder;
    const char* before = std::getenv("SQLITE_TMPDIR");
    had_ = before != nullptr;
    if (had_) saved_ = before;
    ::setenv("SQLITE_TMPDIR", path_.c_str(), 1);
  }
  ~ScopedTmpdir() {
    if (had_)
      ::setenv("SQLITE_TMPDIR", saved_.c_str(), 1);
    else
      ::unsetenv("SQLITE_TMPDIR");
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScopedTmpdir(const ScopedTmpdir&) = delete;
  ScopedTmpdir& operator=(const ScopedTmpdir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_, saved_;
  bool had_ = false;
};

// Runs `body` in a child process whose files may not grow past `file_limit`
// bytes (a write past it fails with EFBIG), and returns the message of the
// exception it threw; exited() is 3 when it threw, 0 when it returned.
struct ChildOutcome {
  int exited = -1;
  std::string message;
};
inline ChildOutcome run_with_file_limit(rlim_t file_limit, const std::function<void()>& body) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t child = ::fork();
  if (child < 0) throw std::runtime_error("fork failed");
  if (child == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{file_limit, file_limit};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    int status = 0;
    try {
      body();
    } catch (const std::exception& e) {
      const ssize_t written = ::write(pipe_fds[1], e.what(), std::strlen(e.what()));
      status = written > 0 ? 3 : 4;
    }
    ::_exit(status);
  }
  ::close(pipe_fds[1]);
  ChildOutcome out;
  char buffer[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
    out.message.append(buffer, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int wait_status = 0;
  if (::waitpid(child, &wait_status, 0) == child && WIFEXITED(wait_status))
    out.exited = WEXITSTATUS(wait_status);
  return out;
}

// The descriptors of this process's open files that lie in `folder`, named or
// not (an unnamed temporary file shows there too).
inline std::vector<int> open_files_in(const std::string& folder) {
  std::vector<int> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code error;
    const auto target = std::filesystem::read_symlink(entry.path(), error).string();
    if (!error && target.rfind(folder + "/", 0) == 0)
      found.push_back(std::stoi(entry.path().filename().string()));
  }
  return found;
}

// Cuts the one file this process has open in `folder` to half its size, as a
// disk or filesystem that fails under it would. False when there is not exactly
// one such file, or it cannot be cut.
inline bool cut_short_the_file_in(const std::string& folder) {
  const std::vector<int> files = open_files_in(folder);
  struct stat st {};
  return files.size() == 1 && ::fstat(files[0], &st) == 0 &&
         ::ftruncate(files[0], st.st_size / 2) == 0;
}

}  // namespace tsync::test
