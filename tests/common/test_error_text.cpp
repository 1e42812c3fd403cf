// SPDX-License-Identifier: Apache-2.0
// Error texts for people: failures alike said once, long lines cut.
#include <doctest/doctest.h>

#include <algorithm>

#include "common/error_text.hpp"

using tsync::Failure;

namespace {

Failure window(int day, const std::string& why) {
  const std::string start =
      "2024-01-" + std::string(day < 10 ? "0" : "") + std::to_string(day) + "T00:00:00Z";
  const std::string end =
      "2024-01-" + std::string(day + 1 < 10 ? "0" : "") + std::to_string(day + 1) + "T00:00:00Z";
  return Failure{"window " + start + " .. " + end, why, {start, end}, day};
}

std::string refused(int day, const std::string& status = "HTTP 400") {
  return "GET http://127.0.0.1:8080/events?since=2024-01-" + std::to_string(100 + day).substr(1) +
         "T00%3A00%3A00Z&until=2024-01-" + std::to_string(101 + day).substr(1) +
         "T00%3A00%3A00Z&limit=50: " + status + ": {\"error\": \"window too old\"}";
}

}  // namespace

TEST_SUITE("error_text") {
  TEST_CASE("a failure's shape sets aside the URL's query values and the window's bounds") {
    CHECK(tsync::failure_shape(window(3, refused(3))) ==
          "GET http://127.0.0.1:8080/events?since=…&until=…&limit=…: HTTP 400: "
          "{\"error\": \"window too old\"}");
    CHECK(tsync::failure_shape(window(3, "the API said: no data before 2024-01-03T00:00:00Z")) ==
          "the API said: no data before …");
    CHECK(tsync::failure_shape(Failure{"x", "GET https://h/p?flag&a=1, then ok", {}, 0}) ==
          "GET https://h/p?flag&a=…, then ok");
    CHECK(tsync::failure_shape(Failure{"x", "no URL here", {}, 0}) == "no URL here");
  }

  TEST_CASE("failures alike are said once with their count, first and last") {
    std::vector<Failure> failures;
    for (int day = 30; day >= 1; --day) failures.push_back(window(day, refused(day)));  // any order
    const auto grouped = tsync::group_failures(failures);
    CHECK(grouped.ways == 1);
    CHECK(grouped.text ==
          "GET http://127.0.0.1:8080/events?since=…&until=…&limit=…: HTTP 400: "
          "{\"error\": \"window too old\"} (first window 2024-01-01T00:00:00Z .. "
          "2024-01-02T00:00:00Z, last window 2024-01-30T00:00:00Z .. 2024-01-31T00:00:00Z)");
    const std::string each = tsync::each_failure(failures);
    CHECK(each.rfind("window 2024-01-01T00:00:00Z .. 2024-01-02T00:00:00Z: " + refused(1), 0) == 0);
    CHECK(std::count(each.begin(), each.end(), '\n') == 29);
    CHECK(each.find(refused(17)) != std::string::npos);
  }

  TEST_CASE("different failures are grouped by their shape, in the order they first came") {
    std::vector<Failure> failures{window(1, refused(1)), window(2, refused(2, "HTTP 500")),
                                  window(3, refused(3)), window(4, "connection refused")};
    const auto grouped = tsync::group_failures(failures);
    CHECK(grouped.ways == 3);
    CHECK(grouped.text ==
          "2 alike: GET http://127.0.0.1:8080/events?since=…&until=…&limit=…: HTTP 400: "
          "{\"error\": \"window too old\"} (first window 2024-01-01T00:00:00Z .. "
          "2024-01-02T00:00:00Z, last window 2024-01-03T00:00:00Z .. 2024-01-04T00:00:00Z); "
          "1: window 2024-01-02T00:00:00Z .. 2024-01-03T00:00:00Z: " +
              refused(2, "HTTP 500") +
              "; 1: window 2024-01-04T00:00:00Z .. 2024-01-05T00:00:00Z: connection refused");
  }

  TEST_CASE("one failure is told whole, a long shape is cut to a third of a line") {
    std::vector<Failure> one{window(1, refused(1))};
    CHECK(tsync::group_failures(one).text ==
          "window 2024-01-01T00:00:00Z .. 2024-01-02T00:00:00Z: " + refused(1));
    const std::string body(5000, 'x');
    std::vector<Failure> long_ones{window(1, refused(1) + body), window(2, refused(2) + body)};
    const auto grouped = tsync::group_failures(long_ones);
    CHECK(grouped.text.size() < tsync::kMaxLineChars / 3 + 200);
    CHECK(grouped.text.find("xxx… (first window 2024-01-01") != std::string::npos);
  }

  TEST_CASE("cut keeps whole characters and says it cut") {
    CHECK(tsync::cut("short", 10) == "short");
    CHECK(tsync::cut("abcdefghij", 6) == "abc…");
    CHECK(tsync::cut("aébcd", 5) == "a…");  // é is two bytes: never cut in half
    CHECK(tsync::cut("aébcde", 6) == "aé…");
  }

  TEST_CASE("human_line cuts at about a thousand characters and says where the whole is") {
    CHECK(tsync::human_line("short") == "short");
    const std::string exact(tsync::kMaxLineChars, 'a');
    CHECK(tsync::human_line(exact) == exact);
    const std::string line = tsync::human_line(std::string(6630, 'a'));
    CHECK(line.size() == tsync::kMaxLineChars);
    CHECK(line.find("… (cut; the whole text: --json, or _sync_log)") != std::string::npos);
  }

  TEST_CASE("human_text stops where each failure is told in full and cuts every line") {
    const std::string stored = "3 windows failed alike: x (first a, last c)" +
                               std::string(tsync::kEachInFull) + "a: x 1\nb: x 2\nc: x 3";
    CHECK(tsync::human_text(stored) ==
          "3 windows failed alike: x (first a, last c) (each in full: --json, or _sync_log)");
    const std::string two_lines = std::string(3000, 'a') + "\nshort";
    const std::string shown = tsync::human_text(two_lines);
    CHECK(shown.size() == tsync::kMaxLineChars + 6);
    CHECK(shown.substr(shown.size() - 6) == "\nshort");
    CHECK(tsync::human_text("plain") == "plain");
  }
}
