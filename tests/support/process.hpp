// SPDX-License-Identifier: Apache-2.0
#pragma once
// Runs the tsync binary as a child process for command-line tests.

#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace proc {

struct Result {
  int exit_code = -1;  // 128 + signal when killed by a signal
  std::string out;
  std::string err;
};

// A started child with its stdout and stderr captured through pipes.
class Child {
 public:
  // With `uid` set, the child runs as that user and group (the test must be root).
  Child(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
        const std::string& cwd = "", std::optional<uid_t> uid = std::nullopt) {
    // Everything the child needs is built before fork: the test process has threads.
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));  // first wins
    for (char** e = environ; *e; ++e) envp.push_back(*e);
    envp.push_back(nullptr);
    int out[2], err[2];
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(err, O_CLOEXEC) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::dup2(err[1], 2);
      const int null = ::open("/dev/null", O_RDONLY);
      ::dup2(null, 0);
      if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
      if (uid && (::setgroups(0, nullptr) != 0 || ::setgid(*uid) != 0 || ::setuid(*uid) != 0))
        ::_exit(126);
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    out_fd_ = out[0];
    err_fd_ = err[0];
  }
  ~Child() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      wait();
    }
    if (out_fd_ >= 0) ::close(out_fd_);
    if (err_fd_ >= 0) ::close(err_fd_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int s) { ::kill(pid_, s); }

  // Reads one line the child printed to stdout, newline excluded; gives up after
  // `timeout_ms` without output. What wait() returns later starts after it.
  std::string read_line(int timeout_ms = 60000) { return read_line_of(out_fd_, timeout_ms); }
  // The same from stderr.
  std::string read_err_line(int timeout_ms = 60000) { return read_line_of(err_fd_, timeout_ms); }

  // Closes the read end of the child's stderr, as a reader that has read its
  // fill does (`tsync sync -v 2>&1 | head -20`): the child's next write to it
  // fails with EPIPE, or kills it with SIGPIPE.
  void close_err() {
    if (err_fd_ >= 0) ::close(err_fd_);
    err_fd_ = -1;
  }

  // Reads the pipes until the child exits and returns what it printed.
  Result wait() {
    Result r;
    pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
    int open = (out_fd_ >= 0) + (err_fd_ >= 0);
    char buf[65536];
    while (open > 0) {
      if (::poll(fds, 2, 1000) < 0) break;
      for (int i = 0; i < 2; ++i) {
        if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
        const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
        if (n <= 0) {
          fds[i].fd = -1;
          --open;
        } else {
          (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
        }
      }
    }
    int status = 0;
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
  }

 private:
  static std::string read_line_of(int fd, int timeout_ms) {
    std::string line;
    char c = 0;
    pollfd p{fd, POLLIN, 0};
    while (::poll(&p, 1, timeout_ms) > 0 && ::read(fd, &c, 1) == 1 && c != '\n') line.push_back(c);
    return line;
  }

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  bool reaped_ = false;
};

inline Result run(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
                  const std::string& cwd = "", std::optional<uid_t> uid = std::nullopt) {
  Child child(args, env, cwd, uid);
  return child.wait();
}

}  // namespace proc
