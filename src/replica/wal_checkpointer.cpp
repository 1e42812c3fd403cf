// SPDX-License-Identifier: Apache-2.0
#include "replica/wal_checkpointer.hpp"

#include <sqlite3.h>

namespace tsync {

WalCheckpointer::WalCheckpointer(std::string path) : path_(std::move(path)) {
  thread_ = std::thread([this] { run(); });
}

WalCheckpointer::~WalCheckpointer() {
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void WalCheckpointer::committed(int pages) {
  if (pages < kPages) return;
  {
    const std::lock_guard lock(mutex_);
    due_ = true;
  }
  wake_.notify_one();
}

bool WalCheckpointer::working() const {
  const std::lock_guard lock(mutex_);
  return !broken_;
}

int WalCheckpointer::checkpoints() const {
  const std::lock_guard lock(mutex_);
  return checkpoints_;
}

void WalCheckpointer::run() {
  sqlite3* db = nullptr;
  // The replica exists (the writer's connection made it): open it, change nothing.
  if (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    sqlite3_close(db);
    const std::lock_guard lock(mutex_);
    broken_ = true;
    return;
  }
  // Closed before the writer's connection: never the one to checkpoint on closing.
  sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  // The log and the replica are synced as the writer's synchronous = NORMAL does.
  sqlite3_exec(db, "PRAGMA synchronous = NORMAL", nullptr, nullptr, nullptr);
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || due_; });
    if (stop_) break;
    due_ = false;
    lock.unlock();
    // A failure (a full disk, a reader's lock) leaves the pages in the log,
    // where they are safe: the next checkpoint, or the writer's close, copies them.
    sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lock.lock();
    ++checkpoints_;
  }
  lock.unlock();
  sqlite3_close(db);
}

}  // namespace tsync
