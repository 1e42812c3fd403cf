// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace tsync {

// Copies committed pages from a replica's write-ahead log into the replica on a
// thread of its own, with a connection of its own, so that the writer goes on
// with the next transaction meanwhile (SQLite's automatic checkpoint does this
// copy inside the commit: up to a fifth of a large sync's time). A checkpoint
// is SQLite's own PASSIVE one: it copies what no reader still needs, waits for
// nobody, and a kill in the middle of it loses nothing.
class WalCheckpointer {
 public:
  // Checkpoints once the log holds this many pages, as SQLite's automatic
  // checkpoint does by default.
  static constexpr int kPages = 1000;

  explicit WalCheckpointer(std::string path);
  // Waits for a checkpoint under way, then closes its connection.
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // A transaction committed and the log holds `pages` pages: from kPages on,
  // the thread checkpoints (once, however many commits ask meanwhile).
  void committed(int pages);
  // False once the thread could not open its connection: the caller then
  // checkpoints as SQLite does by default.
  bool working() const;
  // Checkpoints done, for tests.
  int checkpoints() const;

 private:
  void run();

  std::string path_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool due_ = false;
  bool stop_ = false;
  bool broken_ = false;
  int checkpoints_ = 0;
  std::thread thread_;
};

}  // namespace tsync
