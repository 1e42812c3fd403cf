// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <filesystem>
#include <optional>
#include <string>

#include "replica/replica.hpp"
#include "replica/replica_test_support.hpp"
#include "support/support.hpp"
#include "support/wait.hpp"

namespace {

using tsync::Cursor;
using tsync::Replica;
using tsync::ReplicaWriter;
using tsync::test::make_user;
using tsync::test::TempDir;
using tsync::test::user_table;

}  // namespace

TEST_SUITE("wal_checkpointer") {
  TEST_CASE(
      "committed pages reach the replica file on the checkpointer's thread while it is open") {
    TempDir dir;
    const std::string path = dir.file("replica.db");
    Replica replica(path);
    ReplicaWriter writer(replica, "user", user_table(), std::nullopt);
    // About 3,000 pages of 8 KiB: past the checkpointer's 1,000.
    for (int i = 0; i < 3000; ++i)
      writer.upsert(make_user("u" + std::to_string(i), "2024-01-15T10:30:00Z",
                              std::string(6000, static_cast<char>('a' + i % 26))));
    const Cursor last = cursor_at("2024-01-15T10:30:00Z");
    writer.commit(&last, {});
    // The copy happens on another thread: wait for it.
    tsync::test::wait_until("a checkpoint on the checkpointer's thread",
                            [&] { return replica.background_checkpoints() >= 1; });
    CHECK(std::filesystem::file_size(path) > 15u * 1000 * 1000);
    auto reader = open_reader(path);
    CHECK(count(reader, "SELECT count(*) FROM user") == 3000);
    CHECK(reader.execAndGet("PRAGMA integrity_check").getString() == "ok");
  }
}  // TEST_SUITE("wal_checkpointer")
