// SPDX-License-Identifier: Apache-2.0
// The keys of a chain in bounded memory: with runs written to a temporary file
// every few keys, what came twice (with a new version, with the same one, in
// another page) counts exactly as with every key in memory, through commits
// and faults; a chain that never fills its memory writes no run.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "common/errors.hpp"
#include "support/recording_writer.hpp"
#include "support/support.hpp"
#include "sync/chain_keys.hpp"

using tsync::ChainKeys;
using tsync::Tally;
using tsync::test::record_at;

namespace {

// What a chain's keys counted, as ChainSink keeps it: the pages since the last
// commit count only once committed, and a fault forgets them.
struct Counted {
  std::int64_t repeats = 0;
  std::int64_t duplicates = 0;
  std::int64_t across = 0;
  std::vector<std::string> moved_keys, duplicate_keys;
};

struct Step {
  enum class Kind { Page, Commit, Rewind } kind;
  std::vector<std::pair<std::string, int>> records;  // a page's (id, version)
};

Counted replay(const std::vector<Step>& steps, std::size_t memory, std::size_t* runs = nullptr) {
  ChainKeys keys({"id"}, memory);
  Counted out;
  std::int64_t pending_repeats = 0;
  Tally pending;
  auto commit = [&] {
    keys.commit();
    out.repeats += pending_repeats;
    out.duplicates += pending.duplicates;
    for (const auto& k : pending.moved_keys) out.moved_keys.push_back(k);
    for (const auto& k : pending.duplicate_keys) out.duplicate_keys.push_back(k);
    pending_repeats = 0;
    pending = Tally();
  };
  for (const Step& step : steps) {
    switch (step.kind) {
      case Step::Kind::Page:
        keys.begin_page();
        for (const auto& [id, version] : step.records) keys.note(record_at(id, version));
        keys.end_page(pending_repeats, pending);
        break;
      case Step::Kind::Commit:
        commit();
        break;
      case Step::Kind::Rewind:
        keys.rewind();
        pending_repeats = 0;
        pending = Tally();
        break;
    }
  }
  commit();
  if (runs) *runs = keys.runs();
  Tally settled;
  keys.settle(out.repeats, settled);
  out.duplicates += settled.duplicates;
  out.across = keys.twice_across_pages();
  return out;
}

// A chain of random pages over a few keys and versions: keys come again, with
// their version or another, in the same page or later ones.
std::vector<Step> random_chain(std::mt19937& random, bool faults) {
  std::uniform_int_distribution<int> key(0, 60), version(0, 2), size(0, 9), action(0, 9);
  std::vector<Step> steps;
  for (int p = 0; p < 40; ++p) {
    Step page{Step::Kind::Page, {}};
    for (int i = size(random); i > 0; --i)
      page.records.emplace_back("k" + std::to_string(key(random)), version(random));
    steps.push_back(page);
    const int a = action(random);
    if (a < 3) steps.push_back({Step::Kind::Commit, {}});
    if (faults && a == 9) steps.push_back({Step::Kind::Rewind, {}});
  }
  return steps;
}

// Reads `pages` pages of 64 new keys each, committing each.
void read_pages_of_64(ChainKeys& keys, int pages, std::int64_t& repeats, Tally& tally) {
  for (int p = 0; p < pages; ++p) {
    keys.begin_page();
    for (int i = 0; i < 64; ++i) keys.note(record_at("k" + std::to_string(p * 64 + i), 1));
    keys.end_page(repeats, tally);
    keys.commit();
  }
}

}  // namespace

TEST_SUITE("chain keys") {
  TEST_CASE("keys written out in runs count what came twice as keys all in memory do") {
    std::mt19937 random(20261207);
    int spilled = 0;
    for (int round = 0; round < 300; ++round) {
      CAPTURE(round);
      const bool faults = round % 2 == 1;
      const std::vector<Step> steps = random_chain(random, faults);
      const Counted whole = replay(steps, 1 << 20);
      for (const std::size_t memory : {1, 3, 17}) {
        CAPTURE(memory);
        std::size_t runs = 0;
        const Counted bounded = replay(steps, memory, &runs);
        if (runs > 1) ++spilled;
        CHECK(bounded.repeats == whole.repeats);
        CHECK(bounded.duplicates == whole.duplicates);
        // A fault's pages may leave an over-count of keys across pages (the
        // safe side: a chain read again); without faults it is exact.
        if (!faults) CHECK(bounded.across == whole.across);
      }
    }
    CHECK(spilled > 100);
  }

  TEST_CASE("a chain within its memory writes no run, and counts as it comes") {
    std::vector<Step> steps{
        {Step::Kind::Page, {{"a", 1}, {"b", 1}}},
        {Step::Kind::Commit, {}},
        {Step::Kind::Page, {{"b", 1}, {"a", 2}}},
    };
    std::size_t runs = 9;
    const Counted c = replay(steps, 100, &runs);
    CHECK(runs == 0);
    CHECK(c.repeats == 1);
    CHECK(c.duplicates == 1);
    CHECK(c.across == 1);
    CHECK(c.moved_keys == std::vector<std::string>{"a"});
    CHECK(c.duplicate_keys == std::vector<std::string>{"b"});
  }

  TEST_CASE("a key that came twice only across runs is counted, not named") {
    std::vector<Step> steps{
        {Step::Kind::Page, {{"a", 1}, {"b", 1}}},
        {Step::Kind::Commit, {}},  // a and b left memory in a run at the page's end
        {Step::Kind::Page, {{"c", 1}, {"a", 2}, {"b", 1}}},
    };
    std::size_t runs = 0;
    const Counted c = replay(steps, 2, &runs);
    CHECK(runs == 2);
    CHECK(c.repeats == 1);
    CHECK(c.duplicates == 1);
    CHECK(c.across == 1);
    CHECK(c.moved_keys.empty());
    CHECK(c.duplicate_keys.empty());
  }

  TEST_CASE("a temporary file that cannot be written fails the chain, naming its folder") {
    // Files may not grow past 1 KiB: a run of 64 keys (24 bytes each) cannot
    // be written.
    const auto outcome = tsync::test::run_with_file_limit(1024, [] {
      ChainKeys keys({"id"}, 64);
      std::int64_t repeats = 0;
      Tally tally;
      read_pages_of_64(keys, 4, repeats, tally);
      keys.settle(repeats, tally);
    });
    CHECK(outcome.exited == 3);
    CHECK(outcome.message.find("writing the keys of a long chain of pages in a temporary file in ") !=
          std::string::npos);
    CHECK(outcome.message.find("File too large") != std::string::npos);
    CHECK(outcome.message.find("SQLITE_TMPDIR") != std::string::npos);
  }

  TEST_CASE("a run of keys cut short under the chain's end fails it, naming its folder") {
    tsync::test::ScopedTmpdir tmp;
    ChainKeys keys({"id"}, 64);
    std::int64_t repeats = 0;
    Tally tally;
    // Each page fills the memory: its keys go to a run of their own.
    read_pages_of_64(keys, 4, repeats, tally);
    REQUIRE(keys.runs() == 4);
    REQUIRE(tsync::test::cut_short_the_file_in(tmp.path()));
    try {
      keys.settle(repeats, tally);
      FAIL("the chain's end read runs that were cut short");
    } catch (const tsync::Error& e) {
      const std::string message = e.what();
      CAPTURE(message);
      CHECK(message.find("reading the keys of a long chain of pages back from a temporary file in " +
                         tmp.path() + ": it ended before the keys written to it") == 0);
      CHECK(message.find("the stream's cursor stays where the chain began") != std::string::npos);
    }
    CHECK(repeats == 0);
    CHECK(tally.duplicates == 0);
  }
}
