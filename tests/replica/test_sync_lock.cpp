// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <memory>
#include <string>

#include "common/errors.hpp"
#include "replica/replica_test_support.hpp"
#include "replica/sync_lock.hpp"
#include "support/support.hpp"

namespace {

using tsync::test::TempDir;

}  // namespace

TEST_SUITE("sync_lock") {
  TEST_CASE("SyncLock allows one sync per replica") {
    TempDir dir;
    const std::string path = dir.file("replica.db");
    const std::string held_by_us = "another tsync sync (pid " + std::to_string(::getpid()) +
                                   ") holds " + path + "; try again when it has finished";

    SUBCASE("a second lock in the same process") {
      auto first = std::make_unique<tsync::SyncLock>(path);
      CHECK(file_mode(path + ".lock") == 0600);
      CHECK(read_file(path + ".lock") == std::to_string(::getpid()) + "\n");
      REQUIRE_THROWS_WITH_AS(tsync::SyncLock{path}, held_by_us.c_str(), tsync::LockedError);
      // A failed attempt does not release the holder's lock.
      try {
        tsync::SyncLock again(path);
        FAIL("the lock was taken twice");
      } catch (const tsync::LockedError& e) {
        CHECK(e.exit_code() == tsync::kExitLocked);
      }
      first.reset();
      CHECK_NOTHROW(tsync::SyncLock{path});
    }

    SUBCASE("a lock held by another process, released when it dies") {
      int ready[2];
      REQUIRE(::pipe(ready) == 0);
      const pid_t child = ::fork();
      REQUIRE(child >= 0);
      if (child == 0) {
        ::close(ready[0]);
        try {
          tsync::SyncLock lock(path);
          const char ok = 'y';
          if (::write(ready[1], &ok, 1) != 1) ::_exit(2);
          ::pause();  // until killed
        } catch (...) {
        }
        ::_exit(3);
      }
      ::close(ready[1]);
      char byte = 0;
      const ssize_t got = ::read(ready[0], &byte, 1);
      ::close(ready[0]);
      if (got != 1) {
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
        FAIL("the child could not take the lock");
      }
      const std::string held_by_child = "another tsync sync (pid " + std::to_string(child) +
                                        ") holds " + path + "; try again when it has finished";
      CHECK_THROWS_WITH_AS(tsync::SyncLock{path}, held_by_child.c_str(), tsync::LockedError);
      ::kill(child, SIGKILL);
      int wait_status = 0;
      REQUIRE(::waitpid(child, &wait_status, 0) == child);
      CHECK(WIFSIGNALED(wait_status));
      tsync::SyncLock mine(path);
      CHECK(read_file(path + ".lock") == std::to_string(::getpid()) + "\n");
    }
  }
}  // TEST_SUITE("sync_lock")
