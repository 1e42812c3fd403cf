#include "errors.hpp"

#include <atomic>
#include <csignal>

namespace tsync {
namespace {

std::atomic<int> g_signal{0};

extern "C" void on_signal(int signal_number) { g_signal.store(signal_number); }

}  // namespace

Interrupted::Interrupted(int signal_number)
    : Error(std::string("interrupted by ") + (signal_number == SIGTERM ? "SIGTERM" : "SIGINT") +
                "; everything committed before it is kept",
            128 + signal_number),
      signal_number_(signal_number) {}

void install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

int interrupt_signal() noexcept { return g_signal.load(); }

void check_interrupted() {
  if (const int s = g_signal.load()) throw Interrupted(s);
}

void clear_interrupt() noexcept { g_signal.store(0); }

}  // namespace tsync
