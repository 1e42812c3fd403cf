// SPDX-License-Identifier: Apache-2.0
// End to end: every mode with every other. Multi-stream configurations, made
// from a covering table of the pairs of the modes below, each run as a user runs
// it (the tsync binary): a first sync, nightly syncs after the API changed
// (updates, new records, removals and tombstones), then a weekly --full; after
// every run each table is compared with the mock's truth record by record, the
// rows of removed records marked (or gone, with hard deletes) once a full pass
// or a tombstone said so. Most configurations also have one run SIGKILLed at a
// seeded request, rerun, and still end exact; every third commits from 80 rows,
// so that a first load one request at a time leaves its cursor's index to the
// run's end, and is killed then (the next sync builds it: every table ends with
// its index). The nightly set-up of docs/nightly.md
// runs exactly as that page gives it. Every configuration passes `tsync check`
// before its first sync, and `tsync init` on each row's endpoint proposes a
// stream that syncs exactly.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "support/e2e_support.hpp"
#include "support/process.hpp"

using tsync::mock::AuthRequirement;
using tsync::mock::EndpointSpec;
using tsync::mock::PagingStyle;
using tsync::mock::RecordStore;
using tsync::mock::Tombstone;

namespace {

// The factors and their values. Each stream of a configuration is one row of
// the covering table; the configuration's own factors (where its auth sits,
// max_concurrency) are columns of every row of it too, so that they pair with
// every stream factor.
//   paging        link_header next_url token last_record offset page since none
//   windows       off, on (windows of time, since and until on every page)
//   on_delete     soft, hard
//   tombstones    none (removed records vanish: a full pass finds them),
//                 flag ("deleted": true), at ("deletedAt")
//   auth          none, basic, bearer, session login, OAuth2 (client credentials)
//   auth sits     in each stream, at the top level (shared by the streams)
//   concurrency   1, 4 (the default: the configuration leaves it out; with
//                 4, offset and page chains ask their pages ahead whenever
//                 the run has requests in flight that no job holds)
//   cursor        iso8601, unix_seconds, unix_millis
//   since         exclusive, inclusive (the API's reading of since)
//   order         oldest first, newest first (Stripe's), in the API's answers
//   partitions    none, a fixed list of two (a child stream read once per
//                 partition, each its own endpoint, records and cursor)
enum Factor {
  kPaging,
  kWindows,
  kOnDelete,
  kTombstones,
  kAuth,
  kAuthTop,
  kConcurrency,
  kCursor,
  kSince,
  kOrder,
  kPartitions
};
constexpr std::size_t kFactors = 11;
const std::array<std::size_t, kFactors> kLevels{8, 2, 2, 3, 5, 2, 2, 3, 2, 2, 2};
// The partitions of a partitioned stream: each reads /v1/<part>/<stream>.
const char* const kParts[] = {"a", "b"};

const char* const kPagingNames[] = {"link_header", "next_url", "token", "last_record",
                                    "offset",      "page",     "since", "none"};
const PagingStyle kPagingStyles[] = {
    PagingStyle::LinkHeader, PagingStyle::NextUrl,    PagingStyle::Token, PagingStyle::LastRecord,
    PagingStyle::Offset,     PagingStyle::PageNumber, PagingStyle::None,  PagingStyle::None};
const char* const kAuthNames[] = {"none", "basic", "bearer", "session", "oauth2"};
const char* const kCursorNames[] = {"iso8601", "unix_seconds", "unix_millis"};
const tsync::CursorFormat kCursorFormats[] = {tsync::CursorFormat::Iso8601,
                                              tsync::CursorFormat::UnixSeconds,
                                              tsync::CursorFormat::UnixMillis};
const Tombstone kTombstoneKinds[] = {Tombstone::None, Tombstone::Flag, Tombstone::At};

using Row = std::array<std::size_t, kFactors>;

// The pairs no configuration holds: pagination "since" (ask again from the
// newest record) in windows of time, which the configuration refuses
// (test_config.cpp); and an API that answers newest first along since, which
// is not what "since" declares (an API that answers a page at a time, oldest
// first).
bool impossible(std::size_t a, std::size_t x, std::size_t b, std::size_t y) {
  return a == kPaging && x == 6 && ((b == kWindows && y == 1) || (b == kOrder && y == 1));
}
bool possible(const Row& row) {
  for (std::size_t a = 0; a < kFactors; ++a)
    for (std::size_t b = a + 1; b < kFactors; ++b)
      if (impossible(a, row[a], b, row[b])) return false;
  return true;
}

// A greedy covering table: every pair of values of two factors is in at least
// one row. Each row is the one of all value combinations that covers the most
// pairs not yet covered (the first such, so the table is always the same).
std::vector<Row> covering_table() {
  constexpr std::size_t kMost = 8;  // the most values of a factor
  // uncovered[pair(a, x, b, y)]: the pair (factor a = x, factor b = y) is in no row yet
  auto pair = [](std::size_t a, std::size_t x, std::size_t b, std::size_t y) {
    return ((a * kFactors + b) * kMost + x) * kMost + y;
  };
  std::vector<char> uncovered(kFactors * kFactors * kMost * kMost, 0);
  std::size_t left = 0;
  for (std::size_t a = 0; a < kFactors; ++a)
    for (std::size_t b = a + 1; b < kFactors; ++b)
      for (std::size_t x = 0; x < kLevels[a]; ++x)
        for (std::size_t y = 0; y < kLevels[b]; ++y)
          if (!impossible(a, x, b, y)) {
            uncovered[pair(a, x, b, y)] = 1;
            ++left;
          }
  std::vector<Row> all(1);
  for (std::size_t f = 0; f < kFactors; ++f) {
    std::vector<Row> next;
    for (const Row& partial : all)
      for (std::size_t v = 0; v < kLevels[f]; ++v) {
        Row row = partial;
        row[f] = v;
        next.push_back(row);
      }
    all = std::move(next);
  }
  all.erase(std::remove_if(all.begin(), all.end(), [](const Row& r) { return !possible(r); }),
            all.end());
  std::vector<Row> table;
  while (left > 0) {
    std::size_t best = 0, best_gain = 0;
    for (std::size_t i = 0; i < all.size(); ++i) {
      std::size_t gain = 0;
      for (std::size_t a = 0; a < kFactors; ++a)
        for (std::size_t b = a + 1; b < kFactors; ++b)
          gain += static_cast<std::size_t>(uncovered[pair(a, all[i][a], b, all[i][b])]);
      if (gain > best_gain) {
        best_gain = gain;
        best = i;
      }
    }
    const Row& row = all[best];
    for (std::size_t a = 0; a < kFactors; ++a)
      for (std::size_t b = a + 1; b < kFactors; ++b) {
        char& open = uncovered[pair(a, row[a], b, row[b])];
        left -= static_cast<std::size_t>(open);
        open = 0;
      }
    table.push_back(row);
  }
  return table;
}

// One configuration: the rows of its streams; all share where the auth sits
// and the concurrency, and with a top-level auth, its kind.
struct Combination {
  std::vector<Row> streams;
  bool auth_top() const { return streams[0][kAuthTop] == 1; }
  int concurrency() const { return streams[0][kConcurrency] == 0 ? 1 : 4; }
  std::string describe() const {
    std::ostringstream out;
    out << "max_concurrency " << concurrency() << ", auth "
        << (auth_top() ? "at the top level" : "in each stream") << "; streams:";
    for (const Row& r : streams)
      out << " [" << kPagingNames[r[kPaging]] << (r[kWindows] ? ", windows" : "")
          << (r[kOnDelete] ? ", hard" : ", soft") << ", tombstones "
          << (r[kTombstones] == 0   ? "none"
              : r[kTombstones] == 1 ? "flag"
                                    : "at")
          << ", auth " << kAuthNames[r[kAuth]] << ", cursor " << kCursorNames[r[kCursor]]
          << ", since " << (r[kSince] ? "inclusive" : "exclusive")
          << (r[kOrder] ? ", newest first" : "")
          << (r[kPartitions] ? ", 2 partitions" : "") << "]";
    return out.str();
  }
};

// The rows grouped by what a configuration shares, three streams at most each.
std::vector<Combination> group_rows() {
  std::map<std::array<std::size_t, 3>, std::vector<Row>> groups;
  for (const Row& row : covering_table()) {
    const std::size_t shared_auth = row[kAuthTop] == 1 ? row[kAuth] : 99;
    groups[{row[kConcurrency], row[kAuthTop], shared_auth}].push_back(row);
  }
  std::vector<Combination> out;
  for (const auto& [key, rows] : groups)
    for (std::size_t i = 0; i < rows.size(); i += 3)
      out.push_back({std::vector<Row>(
          rows.begin() + static_cast<std::ptrdiff_t>(i),
          rows.begin() + static_cast<std::ptrdiff_t>(std::min(i + 3, rows.size())))});
  return out;
}

// Made once: the search takes a while in a build without optimisation.
const std::vector<Combination>& combinations() {
  static const std::vector<Combination> all = group_rows();
  return all;
}

constexpr const char* kStart = "2023-12-01T00:00:00Z";
constexpr long long kWindow = 200LL * 86400;  // the windowed APIs take at most 200 days
constexpr std::size_t kPage = 10;
constexpr const char* kPassword = "combo-password-1";
constexpr const char* kToken = "combo-bearer-token-2";

AuthRequirement requirement(std::size_t auth) {
  AuthRequirement need;
  need.username = "ada";
  need.password = kPassword;
  need.secret = kToken;
  need.kind = auth == 1   ? AuthRequirement::Kind::Basic
              : auth == 2 ? AuthRequirement::Kind::Bearer
              : auth == 3 ? AuthRequirement::Kind::Session
              : auth == 4 ? AuthRequirement::Kind::OAuth2
                          : AuthRequirement::Kind::None;
  return need;
}

// The configuration's auth object of kind `auth` signing requests to `api`.
std::string auth_object(std::size_t auth, const tsync::mock::MockApi& api) {
  switch (auth) {
    case 1:
      return R"({"type": "basic", "username": "ada", "password_env": "COMBO_PASSWORD"})";
    case 2:
      return R"({"type": "bearer", "token_env": "COMBO_TOKEN"})";
    case 3:
      return R"({"type": "session", "login_url": ")" + api.url(tsync::mock::kLoginPath) +
             R"(", "body": {"username": "ada", "password": {"env": "COMBO_PASSWORD"}},
                 "token_path": "token", "prefix": "Token "})";
    case 4:
      return R"({"type": "oauth2", "token_url": ")" + api.url(tsync::mock::kTokenPath) +
             R"(", "grant": "client_credentials", "client_id_env": "COMBO_CLIENT_ID",
                 "client_secret_env": "COMBO_CLIENT_SECRET"})";
    default:
      return "";
  }
}

// The endpoint a stream of `row` reads: 120 records over 2024 with integer ids,
// paged as the real API its paging type is named after, in pages of 10.
// `own_auth`: the kind of a stream's own auth beside a top-level one (0: none).
EndpointSpec endpoint_for(const std::string& path, const Row& row, std::uint64_t seed,
                          std::size_t own_auth = 0) {
  EndpointSpec spec;
  spec.path = path;
  spec.records = 120;
  spec.seed = seed;
  spec.schema.key = tsync::mock::KeyKind::Integer;
  spec.schema.fields = {{"title", tsync::mock::FieldKind::String},
                        {"qty", tsync::mock::FieldKind::Integer}};
  spec.schema.cursor_format = kCursorFormats[row[kCursor]];
  spec.serving.since_mode =
      row[kSince] ? tsync::mock::SinceMode::Inclusive : tsync::mock::SinceMode::Exclusive;
  spec.serving.paging = kPagingStyles[row[kPaging]];
  if (row[kOrder]) spec.serving.order = tsync::mock::Order::NewestFirst;
  spec.serving.page_size = row[kPaging] == 7 ? 0 : kPage;  // none: the API answers whole
  spec.serving.strict = true;
  if (row[kPaging] == 0) spec.records_path = "";
  if (row[kPaging] == 2) spec.records_path = "results";
  if (row[kWindows]) {
    spec.since_param = "start_time";
    spec.serving.until_param = "end_time";
    spec.serving.max_range_seconds = kWindow;
  }
  spec.auth = requirement(own_auth ? own_auth : row[kAuth]);
  return spec;
}

// The stream's members for its paging type.
std::string pagination_members(std::size_t paging) {
  switch (paging) {
    case 0:
      return R"("records_path": "", "params": {"per_page": "10"},
                "pagination": {"type": "link_header"})";
    case 1:
      return R"("params": {"per_page": "10"},
                "pagination": {"type": "next_url", "path": "next_page_url"})";
    case 2:
      return R"("records_path": "results", "params": {"limit": "10"},
                "pagination": {"type": "token", "path": "paging.next.after", "param": "after"})";
    case 3:
      return R"("params": {"limit": "10"},
                "pagination": {"type": "last_record", "field": "id", "param": "starting_after",
                               "has_more_path": "has_more"})";
    case 4:
      return R"("pagination": {"type": "offset", "param": "offset", "limit_param": "limit",
                               "limit": 10, "total_path": "total"})";
    case 5:
      return R"("pagination": {"type": "page", "param": "page", "size_param": "per_page",
                               "size": 10, "total_pages_path": "total_pages"})";
    case 6:
      return R"("pagination": {"type": "since"})";
    default:
      return R"("records_path": "data")";
  }
}

std::string stream_object(const std::string& name, const std::string& url, const Row& row,
                          const tsync::mock::MockApi& api, std::size_t own_auth = 0) {
  std::string s =
      R"({"name": ")" + name + R"(", "url": ")" + url + "\", " + pagination_members(row[kPaging]);
  if (row[kWindows])
    s += R"(, "since_param": "start_time", "until_param": "end_time", "window_seconds": )" +
         std::to_string(kWindow);
  if (row[kCursor]) s += R"(, "cursor_format": ")" + std::string(kCursorNames[row[kCursor]]) + "\"";
  if (row[kOnDelete]) s += R"(, "on_delete": "hard")";
  if (row[kTombstones] == 1) s += R"(, "delete_field": "deleted")";
  if (row[kTombstones] == 2) s += R"(, "delete_field": "deletedAt")";
  if (!row[kAuthTop] && row[kAuth]) s += R"(, "auth": )" + auth_object(row[kAuth], api);
  if (own_auth) s += R"(, "auth": )" + auth_object(own_auth, api);
  if (row[kPartitions])
    s += R"(, "partitions": [{"part": "a"}, {"part": "b"}], "primary_key": ["part", "id"])";
  return s + "}";
}

// What the test knows of one stream beyond the mock's truth: the records it
// removed without a tombstone (only a full pass can see those), those a full
// pass has seen removed and those removed since.
struct Tracked {
  std::string name, path;
  std::string part;  // a partitioned stream's: its rows are those with this part
  bool hard = false;
  Tombstone tombstone = Tombstone::None;
  bool windowed = false;
  std::set<std::string> vanished, pending;
  tsync::CursorFormat format = tsync::CursorFormat::Iso8601;
};

bool has_column(SQLite::Database& db, const std::string& table, const std::string& column) {
  SQLite::Statement q(db, "SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2");
  q.bind(1, table);
  q.bind(2, column);
  q.executeStep();
  return q.getColumn(0).getInt64() == 1;
}

// The table of `t` against its API: every live record field by field and not
// marked; every tombstoned record marked (soft) or gone and logged in _deleted
// (hard); every vanished record a full pass has seen removed likewise, and one
// removed since still there as it was, live; and no other row.
void check_exact(const std::string& db_path, const Tracked& t, const RecordStore& store) {
  CAPTURE(t.name);
  CAPTURE(t.part);
  SQLite::Database db(db_path, SQLite::OPEN_READONLY);
  // A partition's rows only: the key is (part, id).
  const std::string in_part = t.part.empty() ? "" : " AND part = '" + t.part + "'";
  const auto columns = e2e::column_of_field(db, t.name);
  const bool marks = has_column(db, t.name, "_tsync_deleted_at");
  std::int64_t rows = 0, deleted = 0;
  auto row_of = [&](const std::string& id, SQLite::Statement& q) {
    q.bind(1, static_cast<std::int64_t>(std::stoll(id)));
    return q.executeStep();
  };
  auto check_deleted = [&](const std::string& id) {
    SQLite::Statement q(db, "SELECT " + std::string(marks ? "_tsync_deleted_at" : "NULL") +
                                " FROM " + e2e::quoted(t.name) + " WHERE id = ?1" + in_part);
    const bool present = row_of(id, q);
    if (t.hard) {
      CHECK_MESSAGE(!present, "record " << id << " was deleted, its row is still there");
    } else {
      REQUIRE_MESSAGE(present, "record " << id << " was deleted, its row is gone");
      CHECK_MESSAGE(!q.getColumn(0).isNull(), "record " << id << " was deleted, not marked");
      ++rows;
    }
    ++deleted;
  };
  for (const auto& record : store.snapshot()) {
    if (record.tombstone) {
      check_deleted(record.id);
      continue;
    }
    SQLite::Statement q(db,
                        "SELECT * FROM " + e2e::quoted(t.name) + " WHERE id = ?1" + in_part);
    REQUIRE_MESSAGE(row_of(record.id, q), "no row for " << record.json);
    ++rows;
    if (marks) CHECK_MESSAGE(q.getColumn("_tsync_deleted_at").isNull(), record.id);
    for (const auto& [field, value] : e2e::truth_fields(record.json)) {
      const auto it = columns.find(field);
      REQUIRE_MESSAGE(it != columns.end(), "no column for field " << field);
      e2e::check_value(q.getColumn(q.getColumnIndex(it->second.c_str())), value,
                       field == "updatedAt" && t.format == tsync::CursorFormat::Iso8601,
                       t.name + "." + field + " of " + record.id);
    }
  }
  for (const std::string& id : t.vanished) check_deleted(id);
  for (const std::string& id : t.pending) {
    SQLite::Statement q(db, "SELECT " + std::string(marks ? "_tsync_deleted_at" : "NULL") +
                                " FROM " + e2e::quoted(t.name) + " WHERE id = ?1" + in_part);
    REQUIRE_MESSAGE(row_of(id, q),
                    "record " << id << " vanished before a full pass: its row is gone");
    CHECK(q.getColumn(0).isNull());
    ++rows;
  }
  CHECK(db.execAndGet("SELECT count(*) FROM " + e2e::quoted(t.name) + " WHERE TRUE" + in_part)
            .getInt64() == rows);
  if (t.hard && deleted > 0) {
    SQLite::Statement q(db, "SELECT count(*) FROM _deleted WHERE stream = ?1 AND key LIKE ?2");
    q.bind(1, t.name);
    q.bind(2, t.part.empty() ? "%" : "[\"" + t.part + "\",%");
    q.executeStep();
    CHECK(q.getColumn(0).getInt64() == deleted);
  }
}

// Waits until the wall clock's second is past every cursor of `stores`: a
// windowed stream reads up to the second its run starts, so a record changed
// "now" is read by a run that starts in a later second.
void await_next_second(const std::vector<const RecordStore*>& stores) {
  std::int64_t newest = 0;
  for (const RecordStore* store : stores) newest = std::max(newest, store->latest().seconds);
  while (std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count() <= newest)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

const std::vector<std::string> kEnv{
    std::string("COMBO_PASSWORD=") + kPassword, std::string("COMBO_TOKEN=") + kToken,
    std::string("API_PASSWORD=") + kPassword, "COMBO_CLIENT_ID=tsync-client",
    "COMBO_CLIENT_SECRET=client-secret-1234", "COMBO_USER=ada"};

// A configuration set up against a mock, run as a user runs it.
class Run {
 public:
  Run(tsync::mock::MockApi& api, const e2e::ScratchDir& dir) : api_(api), dir_(dir) {}

  std::vector<Tracked> streams;

  void write_config(const std::string& text) { std::ofstream(config_path()) << text; }
  std::string config_path() const { return dir_.file("configuration.json"); }
  std::string db() const { return dir_.file("replica.db"); }

  // Runs as cron does: in the replica's folder, with the default
  // configuration.json and replica.db.
  bool in_folder = false;

  // One run of `tsync sync` (with --full when `full`), which must succeed.
  void sync(bool full, const std::string& what) {
    std::vector<std::string> args{TSYNC_BINARY, "sync"};
    if (full) args.push_back("--full");
    args.push_back("--quiet");
    if (!in_folder) args.insert(args.end(), {"--config", config_path()});
    const proc::Result r = proc::run(args, kEnv, in_folder ? dir_.path().string() : std::string());
    REQUIRE_MESSAGE(r.exit_code == 0, what << ": exit " << r.exit_code << ": " << r.err << r.out);
    if (full)
      for (Tracked& t : streams) {
        t.vanished.insert(t.pending.begin(), t.pending.end());
        t.pending.clear();
      }
  }

  // `tsync check` finds nothing wrong in the configuration, and opens no replica.
  void check(const std::string& what) {
    const bool existed = std::filesystem::exists(db());
    std::vector<std::string> args{TSYNC_BINARY, "check"};
    if (!in_folder) args.insert(args.end(), {"--config", config_path()});
    const proc::Result r = proc::run(args, kEnv, in_folder ? dir_.path().string() : std::string());
    REQUIRE_MESSAGE(r.exit_code == 0, what << ": tsync check: exit " << r.exit_code << ": "
                                            << r.err << r.out);
    CHECK(r.out.find("problem:") == std::string::npos);
    CHECK(std::filesystem::exists(db()) == existed);
  }

  // The same run killed with SIGKILL as the mock takes its `nth` data request
  // from now on (it may end before); returns whether the kill came first.
  // With `deferring`, the kill comes instead at the first request after a
  // commit that left a first load's indexes to its end (none: no kill).
  bool sync_killed(bool full, std::size_t nth, bool deferring = false) {
    std::vector<std::string> args{TSYNC_BINARY, "sync", "--quiet", "--config", config_path()};
    if (full) args.push_back("--full");
    std::atomic<pid_t> pid{0};
    const std::size_t at = api_.request_count() + nth;
    const std::string path = db();
    api_.set_request_hook([&](std::size_t number) {
      if (pid.load() <= 0) return;
      if (!deferring) {
        if (number == at) ::kill(pid.load(), SIGKILL);
        return;
      }
      try {
        // Read-write: a read-only connection cannot open a replica whose log
        // the checkpointer has just removed.
        SQLite::Database d(path, SQLite::OPEN_READWRITE);
        if (d.execAndGet("SELECT count(*) FROM _deferred_index").getInt() > 0)
          ::kill(pid.load(), SIGKILL);
      } catch (const SQLite::Exception&) {
        // Not made yet, or busy: the next request looks again.
      }
    });
    proc::Child child(args, kEnv);
    pid = child.pid();
    const proc::Result r = child.wait();
    api_.set_request_hook(nullptr);
    // A kill before the pid was known cannot happen: the request needs the child.
    CHECK_MESSAGE((r.exit_code == 0 || r.exit_code == 128 + SIGKILL), r.err);
    return r.exit_code == 128 + SIGKILL;
  }

  // The API changes: updates and new records, `removals` removed from each
  // stream (by tombstone where the stream's API sends them).
  void change(std::size_t removals) {
    for (Tracked& t : streams) {
      RecordStore& store = api_.records(t.path);
      // Removed first, from records the replica holds: a hard delete of a row
      // it never had logs nothing in _deleted.
      const auto ids = store.remove(removals, t.tombstone);
      store.mutate(5, 3);
      if (t.tombstone == Tombstone::None) t.pending.insert(ids.begin(), ids.end());
    }
    std::vector<const RecordStore*> windowed;
    for (const Tracked& t : streams)
      if (t.windowed) windowed.push_back(&api_.records(t.path));
    await_next_second(windowed);
  }

  // After a kill: the file is sound, and every live record a stream's cursor
  // covers is in its table, at least as new.
  void check_sound() {
    SQLite::Database d(db(), SQLite::OPEN_READWRITE);  // a killed run's WAL is recovered
    REQUIRE(d.execAndGet("PRAGMA integrity_check").getString() == "ok");
    // A first load killed after a commit that left its indexes to its end.
    if (d.execAndGet("SELECT count(*) FROM _deferred_index").getInt() > 0) killed_deferring = true;
    for (const Tracked& t : streams) {
      CAPTURE(t.name);
      CAPTURE(t.part);
      const std::string cursor =
          t.part.empty()
              ? e2e::text_of(db(),
                             "SELECT last_timestamp FROM _state WHERE stream = '" + t.name + "'")
              : e2e::text_of(db(), "SELECT ifnull(max(last_timestamp), '') FROM _partition "
                                   "WHERE stream = '" +
                                       t.name + "' AND partition = '[\"" + t.part + "\"]'");
      if (cursor.empty()) continue;
      const auto c = tsync::parse_cursor(t.format, cursor);
      REQUIRE(c);
      const bool iso = t.format == tsync::CursorFormat::Iso8601;
      for (const auto& record : api_.records(t.path).snapshot()) {
        if (record.tombstone || record.updated > *c) continue;
        SQLite::Statement q(d, "SELECT updatedAt FROM " + e2e::quoted(t.name) + " WHERE id = ?1" +
                                   (t.part.empty() ? "" : " AND part = '" + t.part + "'"));
        q.bind(1, static_cast<std::int64_t>(std::stoll(record.id)));
        REQUIRE_MESSAGE(q.executeStep(), "record " << record.id << " (" << record.cursor
                                                   << ") is covered by cursor " << cursor
                                                   << " but not in the replica");
        if (iso)
          CHECK(q.getColumn(0).getString() >= e2e::normalised(record.cursor));
        else
          CHECK(q.getColumn(0).getInt64() >= std::stoll(record.cursor));
      }
    }
  }

  // Every table exact, with its cursor's index: a first load that left it to
  // its end (or to the next sync, when killed) built it.
  void check_all() {
    for (const Tracked& t : streams) check_exact(db(), t, api_.records(t.path));
    SQLite::Database d(db(), SQLite::OPEN_READONLY);
    CHECK(d.execAndGet("SELECT count(*) FROM _deferred_index").getInt() == 0);
    for (const Tracked& t : streams) {
      CAPTURE(t.name);
      SQLite::Statement index(d,
                              "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND "
                              "tbl_name = ?1 AND sql LIKE '%(\"updatedAt\")'");
      index.bind(1, t.name);
      REQUIRE(index.executeStep());
      CHECK(index.getColumn(0).getInt() == 1);
    }
  }

  bool killed_deferring = false;  // see check_sound

 private:
  tsync::mock::MockApi& api_;
  const e2e::ScratchDir& dir_;
};

// Runs combination number `index` of combinations(): first sync, two nightly
// runs after changes, a full pass; one run (chosen by the seed) is killed at a
// seeded request and rerun first, for every combination but every seventh.
struct Kills {
  bool killed = false;     // the kill found the run still going
  bool deferring = false;  // ... with a first load's indexes left to its end
  // A kill while deferring was due: a stream read in pages without windows
  // asks for more pages after its commit of 80 rows (an answer that holds
  // every record builds the index before the next request).
  bool deferring_due = false;
};
Kills run_combination(std::size_t index) {
  const auto& all = combinations();
  REQUIRE(index < all.size());
  const Combination& combination = all[index];
  // TSYNC_COMBINATION_SEED=N runs the suite with other kills and data.
  const char* base = std::getenv("TSYNC_COMBINATION_SEED");
  const std::uint32_t seed =
      static_cast<std::uint32_t>(base ? std::strtoul(base, nullptr, 10) : 20261206u) +
      static_cast<std::uint32_t>(index);
  CAPTURE(index);
  CAPTURE(seed);
  INFO(combination.describe());
  e2e::Scene scene(0);
  auto& [dir, api] = scene;
  Run run(api, dir);
  std::string streams;
  for (std::size_t i = 0; i < combination.streams.size(); ++i) {
    const Row& row = combination.streams[i];
    const std::string name =
        std::string("s") + std::to_string(i) + "_" + kPagingNames[row[kPaging]];
    const std::string path = "/v1/" + name;
    // Beside a top-level auth, the second stream signs in its own way.
    const std::size_t own_auth =
        combination.auth_top() && row[kAuth] != 0 && i == 1 ? row[kAuth] % 4 + 1 : 0;
    auto track = [&](const std::string& at, const std::string& part) {
      run.streams.push_back({name,
                             at,
                             part,
                             row[kOnDelete] == 1,
                             kTombstoneKinds[row[kTombstones]],
                             row[kWindows] == 1,
                             {},
                             {},
                             kCursorFormats[row[kCursor]]});
    };
    std::string url;
    if (row[kPartitions]) {
      // Each partition its own endpoint, records and cursor.
      for (std::size_t p = 0; p < std::size(kParts); ++p) {
        const std::string at = "/v1/" + std::string(kParts[p]) + "/" + name;
        api.add_endpoint(endpoint_for(at, row, seed * 7 + i + 100 * p, own_auth));
        api.records(at).follow_wall_clock();
        track(at, kParts[p]);
      }
      url = api.url("/v1/{part}/" + name);
    } else {
      url = api.add_endpoint(endpoint_for(path, row, seed * 7 + i, own_auth));
      api.records(path).follow_wall_clock();
      track(path, "");
    }
    streams += (i ? ", " : "") + stream_object(name, url, row, api, own_auth);
  }
  std::string top;
  if (combination.auth_top() && combination.streams[0][kAuth] != 0)
    top += R"(, "auth": )" + auth_object(combination.streams[0][kAuth], api);
  if (combination.concurrency() != 4)
    top += R"(, "max_concurrency": )" + std::to_string(combination.concurrency());
  // Every third configuration commits from 70 rows: a first load one request
  // at a time then stages 70 rows or more into an empty table, drops its
  // cursor's index and builds it at the run's end (ten times sorted_apply_rows;
  // runs with requests in flight do not stage). The others commit every 25
  // rows, which puts more commits between the kills.
  const std::string checkpoint_rows = index % 3 == 1 ? "80" : "25";
  run.write_config(R"({"database": ")" + run.db() +
                   R"(", "retry_base_seconds": 0.01, "max_retries": 2, "timeout_seconds": 5,
                   "sorted_apply_rows": 7, "checkpoint_rows": )" +
                   checkpoint_rows + R"(, "start_timestamp": ")" + kStart + "\"" + top +
                   R"(, "streams": [)" + streams + "]}");

  std::mt19937 random(seed);
  const bool kill = index % 7 != 6;
  int killed_phase = static_cast<int>(random() % 3);  // first, a nightly, the full pass
  const std::size_t nth = 1 + random() % 24;
  // Those that commit from 80 rows one request at a time are killed in their
  // first sync once it has left a first load's indexes to its end.
  const bool deferring = kill && checkpoint_rows == "80" && combination.concurrency() == 1;
  if (deferring) killed_phase = 0;
  CAPTURE(killed_phase);
  CAPTURE(nth);
  CAPTURE(deferring);
  bool killed = false;
  auto phase = [&](int number, bool full, const char* what) {
    if (kill && number == killed_phase) {
      killed = run.sync_killed(full, nth, deferring);
      run.check_sound();
      if (deferring) CHECK(run.killed_deferring == killed);
    }
    run.sync(full, what);
    run.check_all();
  };
  run.check("before the first sync");
  phase(0, false, "first sync");
  run.change(3);
  phase(1, false, "first nightly sync");
  run.change(2);
  run.sync(false, "second nightly sync");
  run.check_all();
  phase(2, true, "full pass");
  bool paged = false;
  for (const Row& row : combination.streams) paged = paged || (row[kPaging] < 6 && !row[kWindows]);
  return {killed, run.killed_deferring, deferring && paged};
}

// The configuration for the cron lines of docs/nightly.md, as written there.
std::string readme_nightly_configuration() {
  std::ifstream in(std::string(TSYNC_SOURCE_DIR) + "/docs/nightly.md");
  REQUIRE(in);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t intro = text.find("A `/srv/tsync/configuration.json` for these two lines");
  REQUIRE(intro != std::string::npos);
  const std::size_t start = text.find("```json\n", intro);
  REQUIRE(start != std::string::npos);
  const std::size_t end = text.find("```", start + 8);
  REQUIRE(end != std::string::npos);
  return text.substr(start + 8, end - start - 8);
}

// An endpoint of the documented nightly set-up: `records` records over 2024
// with integer ids, signed by the session login, `paging` in pages of up to 100.
EndpointSpec readme_endpoint(const std::string& path, PagingStyle paging, std::size_t records,
                             std::uint64_t seed) {
  EndpointSpec spec;
  spec.path = path;
  spec.records = records;
  spec.seed = seed;
  spec.schema.key = tsync::mock::KeyKind::Integer;
  spec.schema.fields = {{"title", tsync::mock::FieldKind::String},
                        {"qty", tsync::mock::FieldKind::Integer}};
  spec.serving.paging = paging;
  spec.serving.strict = true;
  spec.serving.max_page_size = 100;
  spec.auth = requirement(3);
  return spec;
}

// Every fourth configuration from `first`: at least one kill finds its run
// going, and one finds a first load that left its indexes to its end where
// one was due.
void run_part(std::size_t first) {
  int kills = 0, deferring = 0, deferring_due = 0;
  for (std::size_t i = first; i < combinations().size(); i += 4) {
    const Kills k = run_combination(i);
    kills += k.killed;
    deferring += k.deferring;
    deferring_due += k.deferring_due;
  }
  CHECK(kills >= 1);
  if (deferring_due > 0) CHECK(deferring >= 1);
}

}  // namespace

TEST_SUITE("combinations") {
  TEST_CASE("combinations: docs/nightly.md's set-up, nightly syncs and weekly full passes") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    api.add_endpoint(readme_endpoint("/v1/orders", PagingStyle::Offset, 450, 41));
    api.add_endpoint(readme_endpoint("/v1/customers", PagingStyle::NextUrl, 250, 42));
    EndpointSpec events = readme_endpoint("/v1/events", PagingStyle::PageNumber, 300, 43);
    events.since_param = "start_time";
    events.serving.since_mode = tsync::mock::SinceMode::Inclusive;
    events.serving.until_param = "end_time";
    events.serving.max_range_seconds = 2592000;
    api.add_endpoint(events);
    Run run(api, dir);
    run.in_folder = true;
    run.streams = {{"orders", "/v1/orders", "", false, Tombstone::None, false, {}, {}},
                   {"customers", "/v1/customers", "", true, Tombstone::None, false, {}, {}},
                   {"events", "/v1/events", "", false, Tombstone::None, true, {}, {}}};
    for (const Tracked& t : run.streams) api.records(t.path).follow_wall_clock();
    std::string config = readme_nightly_configuration();
    const std::string origin = "https://api.example.com";
    for (std::size_t at; (at = config.find(origin)) != std::string::npos;)
      config.replace(at, origin.size(), api.url(""));
    run.write_config(config);

    // tsync check signs in once for the three streams, too.
    run.check("before the first sync");
    std::size_t runs = 1;
    auto sync = [&](bool full, const std::string& what) {
      run.sync(full, what);
      ++runs;
      run.check_all();
      // The streams share one login a run.
      CHECK(api.login_requests() == runs);
    };
    sync(false, "first sync");
    for (int week = 0; week < 2; ++week) {
      CAPTURE(week);
      for (int night = 0; night < 2; ++night) {
        CAPTURE(night);
        run.change(4);
        sync(false, "nightly sync");
      }
      sync(true, "weekly full pass");
    }
    // Every removed record was marked, or removed with its key in _deleted.
    for (const Tracked& t : run.streams) CHECK(t.vanished.size() == 16);
  }

  TEST_CASE("combinations: lookback_seconds in windows of time asks from the cursor minus it") {
    for (const int concurrency : {1, 4}) {
      CAPTURE(concurrency);
      e2e::Scene scene(0);
      auto& [dir, api] = scene;
      Row row{4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0};  // offset pages, windows
      const std::string url = api.add_endpoint(endpoint_for("/v1/late", row, 5));
      const std::string path = dir.file("configuration.json");
      std::ofstream(path)
          << R"({"database": ")" << dir.file("replica.db") << R"(", "start_timestamp": ")" << kStart
          << R"(", "max_concurrency": )" << concurrency << R"(, "streams": [)"
          << stream_object("late", url, row, api).insert(1, R"("lookback_seconds": 86400, )")
          << "]}";
      const auto first = proc::run({TSYNC_BINARY, "sync", "--quiet", "--config", path});
      REQUIRE_MESSAGE(first.exit_code == 0, first.err);
      const std::string cursor = e2e::text_of(
          dir.file("replica.db"), "SELECT last_timestamp FROM _state WHERE stream = 'late'");
      const std::size_t asked = api.since_log("/v1/late").size();
      const auto second = proc::run({TSYNC_BINARY, "sync", "--quiet", "--config", path});
      REQUIRE_MESSAGE(second.exit_code == 0, second.err);
      const auto since = api.since_log("/v1/late");
      REQUIRE(since.size() > asked);
      // The earliest window of the second run starts a day before the cursor.
      std::string earliest = since[asked];
      for (std::size_t i = asked; i < since.size(); ++i) earliest = std::min(earliest, since[i]);
      const auto c = tsync::parse_timestamp(cursor);
      REQUIRE(c);
      CHECK(earliest ==
            tsync::format_cursor(tsync::CursorFormat::Iso8601, tsync::minus_seconds(*c, 86400)));
    }
  }

  TEST_CASE(
      "combinations: windows over an API whose since is exclusive keep a record at a boundary") {
    for (const std::size_t cursor : {0, 1, 2}) {
      CAPTURE(kCursorNames[cursor]);
      e2e::Scene scene(0);
      auto& [dir, api] = scene;
      Row row{4, 1, 0, 0, 0, 0, 0, cursor, 0, 0, 0};  // offset pages, windows, since exclusive
      const std::string url = api.add_endpoint(endpoint_for("/v1/edge", row, 9));
      // A record exactly where the first window ends and the second begins.
      const tsync::Instant boundary{tsync::parse_timestamp(kStart)->seconds + kWindow, 0};
      const std::string at = tsync::mock::served_cursor_text(boundary, kCursorFormats[cursor]);
      api.records("/v1/edge")
          .add_raw(R"({"id": 100000, "title": "at the boundary", "qty": 1, "updatedAt": )" +
                       (cursor == 0 ? "\"" + at + "\"" : at) + "}",
                   boundary);
      const std::string path = dir.file("configuration.json");
      std::ofstream(path) << R"({"database": ")" << dir.file("replica.db")
                          << R"(", "start_timestamp": ")" << kStart
                          << R"(", "max_concurrency": 1, "streams": [)"
                          << stream_object("edge", url, row, api) << "]}";
      const auto r = proc::run({TSYNC_BINARY, "sync", "--quiet", "--config", path});
      REQUIRE_MESSAGE(r.exit_code == 0, r.err);
      CHECK(e2e::text_of(dir.file("replica.db"), "SELECT title FROM edge WHERE id = 100000") ==
            "at the boundary");
    }
  }

  TEST_CASE(
      "combinations: tsync init proposes a stream that syncs exactly for every paging, cursor "
      "format, order and reading of since") {
    // Each row of the covering table without windows or partitions (which a
    // first answer cannot show), signed in the ways init takes from flags.
    std::size_t tried = 0;
    for (const Combination& combination : combinations())
      for (const Row& row : combination.streams) {
        if (row[kWindows] || row[kPartitions]) continue;
        CAPTURE(kPagingNames[row[kPaging]]);
        CAPTURE(kCursorNames[row[kCursor]]);
        CAPTURE(row[kOrder]);
        CAPTURE(row[kSince]);
        CAPTURE(kAuthNames[row[kAuth]]);
        e2e::Scene scene(0);
        auto& [dir, api] = scene;
        Row plain = row;
        if (plain[kAuth] > 2) plain[kAuth] = 0;  // sessions and OAuth2 are written by hand
        const std::string url = api.add_endpoint(endpoint_for("/v1/items", plain, 11 + tried));
        ++tried;
        // The request a person would paste: the start in the cursor's format,
        // and the page size the paging type's API takes.
        const std::string since = tsync::mock::served_cursor_text(
            *tsync::parse_timestamp(kStart), kCursorFormats[row[kCursor]]);
        const char* const sizes[] = {"&per_page=10", "&per_page=10", "&limit=10", "&limit=10",
                                     "&limit=10",    "&per_page=10", "",          ""};
        std::vector<std::string> args{TSYNC_BINARY, "init",
                                      url + "?since=" + since + sizes[row[kPaging]], "--name",
                                      "items"};
        if (plain[kAuth] == 1) args.insert(args.end(), {"--auth-env", "basic:COMBO_USER:COMBO_PASSWORD"});
        if (plain[kAuth] == 2) args.insert(args.end(), {"--auth-env", "COMBO_TOKEN"});
        const proc::Result init = proc::run(args, kEnv);
        REQUIRE_MESSAGE(init.exit_code == 0, init.err);
        CHECK(init.out.find(kPassword) == std::string::npos);
        CHECK(init.err.find(kToken) == std::string::npos);
        if (row[kPaging] == 6) {
          // An API that pages along since shows no paging: init says the
          // answer looks capped, and `"type": "since"` is the person's call.
          CHECK(init.err.find("capped") != std::string::npos);
          continue;
        }
        Run run(api, dir);
        run.streams = {{"items", "/v1/items", "", false, Tombstone::None, false, {}, {},
                        kCursorFormats[row[kCursor]]}};
        std::string config = init.out;
        REQUIRE(config.rfind("{", 0) == 0);
        config.insert(1, R"("database": ")" + run.db() + R"(", "start_timestamp": ")" + kStart +
                             R"(", )");
        run.write_config(config);
        run.check("the configuration init proposed");
        run.sync(false, "first sync");
        run.check_all();
        run.change(0);
        run.sync(false, "a nightly sync");
        run.check_all();
      }
    CHECK(tried >= 8);
    MESSAGE(tried << " proposals synced");
  }

  TEST_CASE("combinations: the covering table holds every pair of modes") {
    const auto& all = combinations();
    std::set<std::array<std::size_t, 4>> pairs;
    std::size_t rows = 0;
    for (const Combination& c : all) {
      CHECK(c.streams.size() <= 3);
      for (const Row& row : c.streams) {
        ++rows;
        CHECK(possible(row));
        CHECK(row[kAuthTop] == c.streams[0][kAuthTop]);
        CHECK(row[kConcurrency] == c.streams[0][kConcurrency]);
        if (c.auth_top()) CHECK(row[kAuth] == c.streams[0][kAuth]);
        for (std::size_t a = 0; a < kFactors; ++a)
          for (std::size_t b = a + 1; b < kFactors; ++b) pairs.insert({a, row[a], b, row[b]});
      }
    }
    std::size_t wanted = 0;
    for (std::size_t a = 0; a < kFactors; ++a)
      for (std::size_t b = a + 1; b < kFactors; ++b)
        for (std::size_t x = 0; x < kLevels[a]; ++x)
          for (std::size_t y = 0; y < kLevels[b]; ++y) wanted += impossible(a, x, b, y) ? 0 : 1;
    CHECK(pairs.size() == wanted);
    MESSAGE(rows << " streams in " << all.size() << " configurations");
  }

  TEST_CASE("combinations: part 1 of 4") {
    run_part(0);
  }
  TEST_CASE("combinations: part 2 of 4") {
    run_part(1);
  }
  TEST_CASE("combinations: part 3 of 4") {
    run_part(2);
  }
  TEST_CASE("combinations: part 4 of 4") {
    run_part(3);
  }
}
