// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/errors.hpp"
#include "source/records.hpp"
#include "support/support.hpp"

using tsync::test::UserRecord;

namespace {

// Hands out a body in chunks of a fixed size (0: the whole body at once).
class TextSource final : public tsync::ChunkSource {
 public:
  TextSource(std::string body, std::size_t chunk) : body_(std::move(body)), chunk_(chunk) {}
  std::string_view next_chunk() override {
    const std::size_t left = body_.size() - offset_;
    const std::size_t size = chunk_ == 0 || chunk_ > left ? left : chunk_;
    const std::string_view out(body_.data() + offset_, size);
    offset_ += size;
    return out;
  }

 private:
  std::string body_;
  std::size_t chunk_;
  std::size_t offset_ = 0;
};

struct Stored {
  std::vector<std::string> columns;       // the user's eight fields; "<null>" for absent or null
  std::vector<tsync::FieldValue> fields;  // every field, in order
  std::string updated_text;
  tsync::Instant cursor;
  bool tombstone = false;
};
struct Rejected {
  std::string raw;
  std::string reason;
};

class Collector final : public tsync::RecordVisitor {
 public:
  void on_record(const tsync::Record& record) override {
    Stored s;
    for (const std::string_view name : UserRecord::kNames) {
      const tsync::FieldValue* f = record.find(name);
      s.columns.push_back(!f || f->kind == tsync::ValueKind::Null ? "<null>" : f->text);
    }
    s.fields.assign(record.fields.begin(),
                    record.fields.begin() + static_cast<std::ptrdiff_t>(record.size));
    s.updated_text = record.cursor_text;
    s.cursor = record.cursor;
    s.tombstone = record.tombstone;
    stored.push_back(std::move(s));
  }
  void on_rejected(std::string_view raw, std::string_view reason) override {
    rejected.push_back({std::string(raw), std::string(reason)});
  }
  void on_value(std::size_t index, const tsync::FieldValue& value) override {
    values.emplace_back(index, value);
  }
  std::vector<Stored> stored;
  std::vector<Rejected> rejected;
  std::vector<std::pair<std::size_t, tsync::FieldValue>> values;  // captured, in order
};

struct Parsed {
  std::uint64_t bytes = 0;
  Collector seen;
};

Parsed parse(const std::string& body, std::size_t chunk = 0, const tsync::RecordShape& shape = {}) {
  TextSource source(body, chunk);
  Parsed parsed;
  parsed.bytes = tsync::parse_records(source, shape, parsed.seen);
  return parsed;
}

// Hands out a body in two chunks, split at `at`.
class SplitSource final : public tsync::ChunkSource {
 public:
  SplitSource(const std::string& body, std::size_t at) : body_(body), at_(at) {}
  std::string_view next_chunk() override {
    const std::string_view all(body_);
    switch (calls_++) {
      case 0:
        return all.substr(0, at_);
      case 1:
        return all.substr(at_);
      default:
        return {};
    }
  }

 private:
  const std::string& body_;
  std::size_t at_;
  int calls_ = 0;
};

constexpr std::size_t kChunkSizes[] = {0, 1, 2, 7, 64};

const std::string kFullUser =
    R"({"id":"u1","name":"Ada Lovelace","email":"ada@example.com","address":"1 Main St",)"
    R"("company":"Acme","job":"Engineer","updatedAt":"2024-01-15T12:30:00+02:00",)"
    R"("createdAt":"2020-01-01T00:00:00Z"})";

}  // namespace

TEST_SUITE("records") {
  TEST_CASE("values outside the records are captured at their paths, before or after them") {
    tsync::RecordShape shape;
    shape.records_path = {"result", "items"};
    shape.capture = {{"paging", "next", "after"}, {"has_more"},       {"@odata.nextLink"},
                     {"result", "total"},         {"paging", "prev"}, {"missing", "path"}};
    const std::string body =
        R"({"paging":{"prev":{"x":1},"next":{"link":"?after=NTI%3D","after":"NTI="}},)"
        R"("missing":[1,2],"has_more":true,"result":{"total":2,"items":[)" +
        kFullUser + "," + kFullUser +
        R"(],"after":9},"@odata.nextLink":"https://h/x?$skiptoken=a\"b","z":{"has_more":false}})";
    for (const std::size_t chunk : kChunkSizes) {
      CAPTURE(chunk);
      const auto parsed = parse(body, chunk, shape);
      CHECK(parsed.seen.stored.size() == 2);
      REQUIRE(parsed.seen.values.size() == 5);
      auto at = [&](std::size_t k) { return parsed.seen.values[k]; };
      CHECK(at(0).first == 4);  // paging.prev: an object, reported as such
      CHECK(at(0).second.kind == tsync::ValueKind::Json);
      CHECK(at(1).first == 0);
      CHECK(at(1).second.text == "NTI=");
      CHECK(at(2).first == 1);
      CHECK(at(2).second.kind == tsync::ValueKind::Bool);
      CHECK(at(2).second.text == "true");
      CHECK(at(3).first == 3);
      CHECK(at(3).second.kind == tsync::ValueKind::Integer);
      CHECK(at(3).second.text == "2");
      CHECK(at(4).first == 2);
      CHECK(at(4).second.text == "https://h/x?$skiptoken=a\"b");
    }
  }

  TEST_CASE("a captured path that is not an object on the way is absent, not an error") {
    tsync::RecordShape shape;
    shape.capture = {{"paging", "next"}};
    const auto parsed = parse(R"({"paging":"none","data":[)" + kFullUser + "]}", 0, shape);
    CHECK(parsed.seen.stored.size() == 1);
    CHECK(parsed.seen.values.empty());
  }

  TEST_CASE("the records path still fails when it is not what it should be") {
    tsync::RecordShape shape;
    shape.records_path = {"result", "items"};
    shape.capture = {{"result", "next"}};
    CHECK_THROWS_WITH(parse(R"({"result":[]})", 0, shape),
                      doctest::Contains("\"result\" is not an object"));
    CHECK_THROWS_WITH(parse(R"({"result":{"next":"x","items":{}}})", 0, shape),
                      doctest::Contains("\"items\" is not an array"));
    CHECK_THROWS_WITH(parse(R"({"result":{"next":"x"}})", 0, shape),
                      doctest::Contains("the body has no \"result.items\" array"));
  }

  TEST_CASE("every field of a record arrives, whatever the chunk size") {
    const std::string body = R"({"data":[)" + kFullUser + "]}";
    for (const std::size_t chunk : kChunkSizes) {
      CAPTURE(chunk);
      const auto parsed = parse(body, chunk);
      CHECK(parsed.bytes == body.size());
      REQUIRE(parsed.seen.stored.size() == 1);
      CHECK(parsed.seen.rejected.empty());
      const auto& c = parsed.seen.stored[0].columns;
      CHECK(c[UserRecord::kId] == "u1");
      CHECK(c[UserRecord::kName] == "Ada Lovelace");
      CHECK(c[UserRecord::kEmail] == "ada@example.com");
      CHECK(c[UserRecord::kAddress] == "1 Main St");
      CHECK(c[UserRecord::kCompany] == "Acme");
      CHECK(c[UserRecord::kJob] == "Engineer");
      // Fields arrive as sent; the cursor is the instant and the API's own text.
      CHECK(c[UserRecord::kUpdatedAt] == "2024-01-15T12:30:00+02:00");
      CHECK(tsync::format_utc(parsed.seen.stored[0].cursor) == "2024-01-15T10:30:00.000000000Z");
      CHECK(parsed.seen.stored[0].updated_text == "2024-01-15T12:30:00+02:00");
      CHECK(c[UserRecord::kCreatedAt] == "2020-01-01T00:00:00Z");
      CHECK(parsed.seen.stored[0].fields.size() == 8);
    }
  }

  TEST_CASE("many records in order, a missing field is absent, other fields are kept") {
    std::string body = R"({"meta":{"page":[1,{"x":null}]},"data":[)";
    for (int i = 0; i < 300; ++i) {
      if (i > 0) body += ",";
      body += R"({"id":)" + std::to_string(i) +
              R"(,"extra":{"deep":[[{"a":1}]]},"updatedAt":"2024-01-01T00:00:)" +
              (i % 60 < 10 ? "0" : "") + std::to_string(i % 60) + R"(Z"})";
    }
    body += R"(],"next":"ignored"})";
    for (const std::size_t chunk : kChunkSizes) {
      CAPTURE(chunk);
      const auto parsed = parse(body, chunk);
      REQUIRE(parsed.seen.stored.size() == 300);
      for (int i = 0; i < 300; ++i) {
        const auto& c = parsed.seen.stored[static_cast<std::size_t>(i)].columns;
        CHECK(c[UserRecord::kId] == std::to_string(i));
        CHECK(c[UserRecord::kName] == "<null>");
        CHECK(c[UserRecord::kCreatedAt] == "<null>");
        const auto& fields = parsed.seen.stored[static_cast<std::size_t>(i)].fields;
        REQUIRE(fields.size() == 3);
        CHECK(fields[0].kind == tsync::ValueKind::Integer);
        CHECK(fields[1].name == "extra");
        CHECK(fields[1].kind == tsync::ValueKind::Json);
        CHECK(fields[1].text == R"({"deep":[[{"a":1}]]})");
      }
    }
  }

  TEST_CASE("values of other types: numbers as their text, null, booleans, nested JSON") {
    const auto parsed = parse(
        R"({"data":[{"id":12345678901234567890123,"name":null,"email":true,"address":{"city":"Oslo","zip":[1,2.50]},)"
        R"("company":-1.5e3,"job":[],"updatedAt":"2024-01-15T10:30:00Z","createdAt":"yesterday"}]})");
    REQUIRE(parsed.seen.stored.size() == 1);
    const auto& c = parsed.seen.stored[0].columns;
    CHECK(c[UserRecord::kId] == "12345678901234567890123");
    CHECK(c[UserRecord::kName] == "<null>");
    CHECK(c[UserRecord::kEmail] == "true");
    CHECK(c[UserRecord::kAddress] == R"({"city":"Oslo","zip":[1,2.50]})");
    CHECK(c[UserRecord::kCompany] == "-1.5e3");
    CHECK(c[UserRecord::kJob] == "[]");
    // A createdAt that is not a timestamp is kept as sent.
    CHECK(c[UserRecord::kCreatedAt] == "yesterday");
  }

  TEST_CASE("escapes, UTF-8 and NUL characters in text survive exactly") {
    const std::string body =
        "{\"data\":[{\"id\":\"a\\u0000b\",\"name\":\"caf\\u00e9 \xe2\x82\xac \\ud83d\\ude00\","
        "\"job\":\"tab\\tquote\\\"slash\\/\",\"updatedAt\":\"2024-01-15T10:30:00.5Z\"}]}";
    for (const std::size_t chunk : kChunkSizes) {
      CAPTURE(chunk);
      const auto parsed = parse(body, chunk);
      REQUIRE(parsed.seen.stored.size() == 1);
      const auto& c = parsed.seen.stored[0].columns;
      CHECK(c[UserRecord::kId] == std::string("a\0b", 3));
      CHECK(c[UserRecord::kName] == "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
      CHECK(c[UserRecord::kJob] == "tab\tquote\"slash/");
      CHECK(c[UserRecord::kUpdatedAt] == "2024-01-15T10:30:00.5Z");
      CHECK(tsync::format_utc(parsed.seen.stored[0].cursor) == "2024-01-15T10:30:00.500000000Z");
    }
  }

  TEST_CASE("a record that cannot be stored is handed on whole, with its reason") {
    const std::string bad_time = R"({"id":"2","name":"x","updatedAt":"15/01/2024"})";
    const std::string body = R"({"data":[)" + kFullUser + "," +
                             R"({"name":"no id","updatedAt":"2024-01-15T10:30:00Z"})" + "," +
                             R"({"id":null,"updatedAt":"2024-01-15T10:30:00Z"})" + "," +
                             R"({"id":"","updatedAt":"2024-01-15T10:30:00Z"})" + "," +
                             R"({"id":{"a":1},"updatedAt":"2024-01-15T10:30:00Z"})" + "," +
                             R"({"id":"1"})" + "," + bad_time + "," +
                             R"({"id":"3","updatedAt":1705314600})" + "]}";
    for (const std::size_t chunk : kChunkSizes) {
      CAPTURE(chunk);
      const auto parsed = parse(body, chunk);
      CHECK(parsed.seen.stored.size() == 1);
      REQUIRE(parsed.seen.rejected.size() == 7);
      const auto& r = parsed.seen.rejected;
      CHECK(r[0].reason == "no id");
      CHECK(r[0].raw == R"({"name":"no id","updatedAt":"2024-01-15T10:30:00Z"})");
      CHECK(r[1].reason == "no id");
      CHECK(r[2].reason == "id is empty");
      CHECK(r[3].reason == "id is not a string or a number");
      CHECK(r[4].reason == "no updatedAt");
      CHECK(r[5].reason == R"(updatedAt is not an ISO 8601 timestamp: "15/01/2024")");
      CHECK(r[5].raw == bad_time);
      CHECK(r[6].reason == R"(updatedAt is not an ISO 8601 timestamp: "1705314600")");
    }
  }

  TEST_CASE("a body that is not the expected JSON names the byte and the problem") {
    auto error_of = [](const std::string& body) {
      try {
        parse(body, 3);
      } catch (const tsync::PermanentError& e) {
        return std::string(e.what());
      }
      return std::string("no PermanentError");
    };
    CHECK(error_of("[]") ==
          "response body at byte 1: the body is not a JSON object (expected {\"data\": [...]})");
    CHECK(error_of(R"({"items":[]})") ==
          "response body at byte 12: the body has no \"data\" array");
    CHECK(error_of(R"({"data":{}})") == "response body at byte 9: \"data\" is not an array");
    CHECK(error_of(R"({"data":7})") == "response body at byte 9: \"data\" is not an array");
    CHECK(error_of(R"({"data":[{"id":"1","updatedAt":"2024-01-01T00:00:00Z"},5]})") ==
          "response body at byte 56: data[1] is not an object");
    CHECK(error_of(R"({"data":[{"id":"1" "x"}]})") ==
          "response body at byte 19: Missing a comma or '}' after an object member.");
    CHECK(error_of("<html>busy</html>") == "response body at byte 0: Invalid value.");
    CHECK(error_of(R"({"data":[]} {"data":[]})") ==
          "response body at byte 12: The document root must not be followed by other values.");
    CHECK(error_of(std::string(R"({"data":[]})") + '\0' + "trailing") ==
          "response body at byte 11: a NUL byte or other data after the JSON document");
    CHECK(error_of(R"({"data":[{"id":"1","job":)" + std::string(300, '[') + std::string(300, ']') +
                   "}]}") == "response body at byte 282: values nested more than 256 deep");
  }

  TEST_CASE("deep nesting outside the records is refused without exhausting the stack") {
    const std::string body = R"({"x":)" + std::string(1'000'000, '[');
    CHECK_THROWS_AS(parse(body, 4096), tsync::PermanentError);
  }

  TEST_CASE("a body cut short is a transient fault that names where it ended") {
    const std::string body = R"({"data":[)" + kFullUser + "," + kFullUser + "]}";
    for (const std::size_t cut :
         {std::size_t{0}, std::size_t{5}, std::size_t{9}, body.size() / 2, body.size() - 1}) {
      CAPTURE(cut);
      TextSource source(body.substr(0, cut), 7);
      Collector seen;
      REQUIRE_THROWS_AS(tsync::parse_records(source, {}, seen), tsync::TransientError);
      TextSource again(body.substr(0, cut), 7);
      try {
        tsync::parse_records(again, {}, seen);
      } catch (const tsync::TransientError& e) {
        CHECK(std::string(e.what()).rfind(
                  "response body ended early at byte " + std::to_string(cut) + " (", 0) == 0);
      }
    }
    // Records completed before the cut were handed on; the half-read one was not.
    TextSource source(body.substr(0, body.size() / 2 + kFullUser.size() / 2 + 5), 7);
    Collector seen;
    CHECK_THROWS_AS(tsync::parse_records(source, {}, seen), tsync::TransientError);
    CHECK(seen.stored.size() == 1);
  }

  TEST_CASE("exceptions from the source and the visitor pass through unchanged") {
    class FailingSource final : public tsync::ChunkSource {
     public:
      std::string_view next_chunk() override {
        if (calls_++ == 0) return R"({"data":[)";
        throw tsync::TransientError("connection lost after 9 bytes");
      }

     private:
      int calls_ = 0;
    };
    FailingSource failing;
    Collector seen;
    CHECK_THROWS_WITH_AS(tsync::parse_records(failing, {}, seen), "connection lost after 9 bytes",
                         tsync::TransientError);

    class ThrowingVisitor final : public tsync::RecordVisitor {
     public:
      void on_record(const tsync::Record&) override { throw std::runtime_error("disk full"); }
      void on_rejected(std::string_view, std::string_view) override {}
    };
    TextSource source(R"({"data":[)" + kFullUser + "]}", 5);
    ThrowingVisitor visitor;
    CHECK_THROWS_WITH_AS(tsync::parse_records(source, {}, visitor), "disk full",
                         std::runtime_error);
  }

  TEST_CASE("an empty page and surrounding whitespace are fine") {
    const auto parsed = parse(" \n{ \"data\" : [ ] }\r\n\t", 1);
    CHECK(parsed.bytes == 21);
    CHECK(parsed.seen.stored.empty());
    CHECK(parsed.seen.rejected.empty());
  }

  TEST_CASE("a body split in two at any byte gives the same records and raw text") {
    // Escapes, multi-byte UTF-8, a nested value, a rejected record and numbers:
    // each has a byte where a split once could go wrong.
    const std::string body =
        "{\"meta\":{\"n\":[1,{\"x\":\"]\"}]},\"data\":[" + kFullUser +
        R"(,{"id":"u\"2","name":"Zo\u00eb \ud83d\ude00 caf\u00e9","job":{"a":[true,null]},)"
        R"("updatedAt":"2024-01-15T10:30:00.5Z","email":12.5e3},)"
        R"({"id":"u3","updatedAt":"not a time","name":"\\ \/"}]})";
    const auto whole = parse(body);
    REQUIRE(whole.seen.stored.size() == 2);
    REQUIRE(whole.seen.rejected.size() == 1);
    CHECK(whole.seen.rejected[0].raw == R"({"id":"u3","updatedAt":"not a time","name":"\\ \/"})");
    for (std::size_t at = 1; at < body.size(); ++at) {  // an empty chunk is the end
      CAPTURE(at);
      SplitSource source(body, at);
      Collector seen;
      CHECK(tsync::parse_records(source, {}, seen) == body.size());
      REQUIRE(seen.stored.size() == 2);
      for (std::size_t i = 0; i < 2; ++i) {
        CHECK(seen.stored[i].columns == whole.seen.stored[i].columns);
        CHECK(seen.stored[i].updated_text == whole.seen.stored[i].updated_text);
      }
      REQUIRE(seen.rejected.size() == 1);
      CHECK(seen.rejected[0].raw == whole.seen.rejected[0].raw);
      CHECK(seen.rejected[0].reason == whole.seen.rejected[0].reason);
    }
  }

  TEST_CASE("records are found along any records path, or as the body itself") {
    const std::string record = R"({"id":"1","updatedAt":"2024-01-15T10:30:00Z"})";
    tsync::RecordShape shape;
    SUBCASE("a key other than data") {
      shape.records_path = {"results"};
      const auto parsed = parse(R"({"count":1,"results":[)" + record + "]}", 3, shape);
      CHECK(parsed.seen.stored.size() == 1);
    }
    SUBCASE("a dotted path reaches deeper, past other keys and objects") {
      shape.records_path = {"result", "items"};
      const auto parsed =
          parse(R"({"items":[{"not":"these"}],"result":{"meta":{"items":[1]},"items":[)" + record +
                    "," + record + R"(],"next":null},"tail":[]})",
                5, shape);
      CHECK(parsed.seen.stored.size() == 2);
      CHECK(parsed.seen.rejected.empty());
    }
    SUBCASE("an empty path: the body is the array") {
      shape.records_path = {};
      const auto parsed = parse(" [" + record + "," + record + "] ", 2, shape);
      CHECK(parsed.seen.stored.size() == 2);
    }
    SUBCASE("a body of the wrong shape names the path it expected") {
      auto error_of = [&](const std::string& body) {
        try {
          parse(body, 3, shape);
        } catch (const tsync::PermanentError& e) {
          return std::string(e.what());
        }
        return std::string("no PermanentError");
      };
      shape.records_path = {};
      CHECK(error_of(R"({"data":[]})") ==
            "response body at byte 1: the body is not a JSON array (expected [...])");
      CHECK(error_of("[1]") == "response body at byte 2: element 0 of the body is not an object");
      shape.records_path = {"result", "items"};
      CHECK(error_of(R"({"result":{"other":[]}})") ==
            "response body at byte 23: the body has no \"result.items\" array (expected "
            "{\"result\": {\"items\": [...]}})");
      CHECK(error_of(R"({"result":[]})") ==
            "response body at byte 11: \"result\" is not an object (expected {\"result\": "
            "{\"items\": [...]}})");
      CHECK(error_of(R"({"result":{"items":{}}})") ==
            "response body at byte 20: \"items\" is not an array (expected {\"result\": "
            "{\"items\": [...]}})");
      shape.records_path = {"results"};
      CHECK(error_of(R"({"data":[]})") ==
            "response body at byte 11: the body has no \"results\" array");
    }
  }

  TEST_CASE("every field is handed on with its name and kind, whatever the name") {
    using tsync::ValueKind;
    const std::string body =
        R"({"data":[{"id":7,"updatedAt":"2024-01-15T10:30:00Z","a\"b":"05","[x]":"1e3",)"
        R"("`t`":"  7","; DROP TABLE user; --":12345678901234567890123,"select":-0.5,)"
        R"("Name":true,"name":false,"":null,"caf\u00e9 \ud83d\ude00":{"k":[1,"2"]},"n\u0000ul":[]}]})";
    const auto parsed = parse(body, 4);
    REQUIRE(parsed.seen.stored.size() == 1);
    const auto& f = parsed.seen.stored[0].fields;
    REQUIRE(f.size() == 12);
    auto check = [&](std::size_t i, std::string_view name, ValueKind kind, std::string_view text) {
      CAPTURE(i);
      CHECK(f[i].name == name);
      CHECK(f[i].kind == kind);
      CHECK(f[i].text == text);
    };
    check(0, "id", ValueKind::Integer, "7");
    check(2, "a\"b", ValueKind::String, "05");
    check(3, "[x]", ValueKind::String, "1e3");
    check(4, "`t`", ValueKind::String, "  7");
    check(5, "; DROP TABLE user; --", ValueKind::Integer, "12345678901234567890123");
    check(6, "select", ValueKind::Real, "-0.5");
    check(7, "Name", ValueKind::Bool, "true");
    check(8, "name", ValueKind::Bool, "false");
    check(9, "", ValueKind::Null, "");
    check(10, "caf\xc3\xa9 \xf0\x9f\x98\x80", ValueKind::Json, R"({"k":[1,"2"]})");
    check(11, std::string("n\0ul", 4), ValueKind::Json, "[]");
  }

  TEST_CASE("a composite key needs every part, and a cursor may have another name and format") {
    tsync::RecordShape shape;
    shape.primary_key = {"account_id", "id"};
    shape.cursor_field = "updated_at";
    SUBCASE("unix_millis: a number of milliseconds, its text kept for the next request") {
      shape.cursor_format = tsync::CursorFormat::UnixMillis;
      const auto parsed = parse(R"({"data":[{"account_id":1,"id":2,"updated_at":1705314600123},)"
                                R"({"account_id":1,"id":3,"updated_at":"1705314600124"},)"
                                R"({"id":4,"updated_at":1705314600125},)"
                                R"({"account_id":1,"id":5,"updated_at":"2024-01-15T10:30:00Z"},)"
                                R"({"account_id":1,"id":6,"updated_at":1.7e12},)"
                                R"({"account_id":1,"id":7,"updatedAt":1705314600125}]})",
                                6, shape);
      REQUIRE(parsed.seen.stored.size() == 2);
      CHECK(parsed.seen.stored[0].updated_text == "1705314600123");
      CHECK(tsync::format_utc(parsed.seen.stored[0].cursor) == "2024-01-15T10:30:00.123000000Z");
      CHECK(parsed.seen.stored[1].updated_text == "1705314600124");
      const auto& r = parsed.seen.rejected;
      REQUIRE(r.size() == 4);
      CHECK(r[0].reason == "no account_id");
      CHECK(r[1].reason == R"(updated_at is not a unix_millis number: "2024-01-15T10:30:00Z")");
      CHECK(r[2].reason == R"(updated_at is not a unix_millis number: "1.7e12")");
      CHECK(r[3].reason == "no updated_at");
    }
    SUBCASE("unix_seconds with a fraction; iso8601 refuses a number") {
      shape.cursor_format = tsync::CursorFormat::UnixSeconds;
      auto parsed =
          parse(R"({"data":[{"account_id":"a","id":"b","updated_at":1705314600.5}]})", 0, shape);
      REQUIRE(parsed.seen.stored.size() == 1);
      CHECK(tsync::format_utc(parsed.seen.stored[0].cursor) == "2024-01-15T10:30:00.500000000Z");
      shape.cursor_format = tsync::CursorFormat::Iso8601;
      parsed = parse(R"({"data":[{"account_id":"a","id":"b","updated_at":1705314600}]})", 0, shape);
      REQUIRE(parsed.seen.rejected.size() == 1);
      CHECK(parsed.seen.rejected[0].reason ==
            R"(updated_at is not an ISO 8601 timestamp: "1705314600")");
    }
  }

  TEST_CASE("a delete_field marks tombstones: true, a timestamp or a number") {
    tsync::RecordShape shape;
    shape.delete_field = "deleted";
    const auto parsed =
        parse(R"({"data":[{"id":"1","updatedAt":"2024-01-15T10:30:00Z","deleted":true},)"
              R"({"id":"2","updatedAt":"2024-01-15T10:30:00Z","deleted":false},)"
              R"({"id":"3","updatedAt":"2024-01-15T10:30:00Z","deleted":"2024-01-15T10:30:00Z"},)"
              R"({"id":"4","updatedAt":"2024-01-15T10:30:00Z","deleted":null},)"
              R"({"id":"5","updatedAt":"2024-01-15T10:30:00Z"},)"
              R"({"id":"6","updatedAt":"2024-01-15T10:30:00Z","deleted":""},)"
              R"({"id":"7","updatedAt":"2024-01-15T10:30:00Z","deleted":1705314600},)"
              R"({"id":"8","updatedAt":"2024-01-15T10:30:00Z","deleted":"yes"}]})",
              3, shape);
    REQUIRE(parsed.seen.stored.size() == 8);
    const bool expected[] = {true, false, true, false, false, false, true, false};
    for (std::size_t i = 0; i < 8; ++i) {
      CAPTURE(i);
      CHECK(parsed.seen.stored[i].tombstone == expected[i]);
    }
  }
}
