// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <stdexcept>
#include <string>

namespace tsync {

// Exit statuses, documented in docs/commands.md. main() maps every error to one of them.
enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,         // the sync failed: HTTP, response body, replica, disk
  kExitUsage = 2,         // bad command line or configuration: nothing was opened
  kExitLocked = 75,       // another sync holds the replica (EX_TEMPFAIL: try later)
  kExitInterrupted = 130  // SIGINT; SIGTERM gives 143, a closed output 141
};

// Base of every error tsync reports; what() is the whole user-facing message.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, int exit_code = kExitError)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const noexcept { return exit_code_; }

 private:
  int exit_code_;
};

// A mistake in the command line or configuration file.
class ConfigError : public Error {
 public:
  explicit ConfigError(const std::string& message) : Error(message, kExitUsage) {}
};

// Another process holds the replica's sync lock.
class LockedError : public Error {
 public:
  explicit LockedError(const std::string& message) : Error(message, kExitLocked) {}
};

// A fault worth retrying: connection errors, timeouts, 429, 5xx, a body cut short.
class TransientError : public Error {
 public:
  TransientError(const std::string& message, double retry_after_seconds = -1)
      : Error(message), retry_after_seconds_(retry_after_seconds) {}
  // Seconds the server asked us to wait (Retry-After), or a negative value.
  double retry_after_seconds() const noexcept { return retry_after_seconds_; }

 private:
  double retry_after_seconds_;
};

// A fault that no retry will fix: other 4xx, a body that is not the expected JSON.
class PermanentError : public Error {
 public:
  using Error::Error;
  // An API's answer with a status that no retry changes (404, 410, 400, ...).
  PermanentError(const std::string& message, long http_status)
      : Error(message), http_status_(http_status) {}
  // The answer's HTTP status; 0 when the fault was not an answer's status.
  long http_status() const noexcept { return http_status_; }

 private:
  long http_status_ = 0;
};

// The run was stopped by SIGINT or SIGTERM, or because its output was closed
// (signal_number() is then SIGPIPE, and the exit status 141, as a shell's).
class Interrupted : public Error {
 public:
  explicit Interrupted(int signal_number);
  int signal_number() const noexcept { return signal_number_; }

 private:
  int signal_number_;
};

// The run passed its deadline (max_run_seconds): it stops at a safe point, as
// on SIGTERM, keeping what was committed, and fails with exit status 1.
class RunDeadline : public Error {
 public:
  using Error::Error;
};

// Installs SIGINT/SIGTERM handlers that only raise a flag; long loops poll it.
// SIGPIPE is ignored: a write to a closed pipe fails with EPIPE instead.
void install_interrupt_handlers();
// The output tsync writes to was closed (EPIPE): raises the same flag as
// SIGTERM does, with SIGPIPE, so the run stops at its next safe point. A
// signal received before it is kept.
void output_closed() noexcept;
// The signal that asked us to stop, or 0.
int interrupt_signal() noexcept;
// Throws Interrupted if a stop was asked for, or RunDeadline once the deadline
// set by RunDeadlineScope has passed. Every long loop polls it.
void check_interrupted();

// Sets the run's deadline, `seconds` from now, until destroyed (0: none).
class RunDeadlineScope {
 public:
  explicit RunDeadlineScope(long long seconds);
  ~RunDeadlineScope();
  RunDeadlineScope(const RunDeadlineScope&) = delete;
  RunDeadlineScope& operator=(const RunDeadlineScope&) = delete;
};
// For tests: forget a received signal.
void clear_interrupt() noexcept;

}  // namespace tsync
