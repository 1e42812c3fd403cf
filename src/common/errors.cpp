// SPDX-License-Identifier: Apache-2.0
#include "common/errors.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <string>

namespace tsync {
namespace {

std::atomic<int> g_signal{0};

// The run's deadline in steady-clock nanoseconds, and max_run_seconds; 0: none.
std::atomic<std::int64_t> g_deadline{0};
std::atomic<long long> g_deadline_seconds{0};

std::int64_t now_nanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

extern "C" void on_signal(int signal_number) { g_signal.store(signal_number); }

std::string interrupted_text(int signal_number) {
  if (signal_number == SIGPIPE)
    return "stopped because its output was closed (the program reading tsync's output, "
           "such as head, exited); everything committed before it is kept";
  return std::string("interrupted by ") + (signal_number == SIGTERM ? "SIGTERM" : "SIGINT") +
         "; everything committed before it is kept";
}

}  // namespace

Interrupted::Interrupted(int signal_number)
    : Error(interrupted_text(signal_number), 128 + signal_number), signal_number_(signal_number) {}

void install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  // A closed output is seen as EPIPE where tsync writes (output_closed()),
  // and stops the run at a safe point instead of killing it mid-run.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, nullptr);
}

void output_closed() noexcept {
  int none = 0;
  g_signal.compare_exchange_strong(none, SIGPIPE);
}

int interrupt_signal() noexcept { return g_signal.load(); }

void check_interrupted() {
  if (const int s = g_signal.load()) throw Interrupted(s);
  const std::int64_t deadline = g_deadline.load(std::memory_order_relaxed);
  if (deadline != 0 && now_nanos() >= deadline)
    throw RunDeadline(
        "the run passed max_run_seconds = " + std::to_string(g_deadline_seconds.load()) +
        " and stopped at a safe point; everything committed before it is kept "
        "(raise max_run_seconds if runs this long are expected)");
}

RunDeadlineScope::RunDeadlineScope(long long seconds) {
  g_deadline_seconds.store(seconds);
  g_deadline.store(seconds > 0 ? now_nanos() + seconds * 1'000'000'000LL : 0);
}

RunDeadlineScope::~RunDeadlineScope() { g_deadline.store(0); }

void clear_interrupt() noexcept { g_signal.store(0); }

}  // namespace tsync
