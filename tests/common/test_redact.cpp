// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "common/redact.hpp"
#include "source/http_client.hpp"

namespace {

tsync::Redactor redactor_of(std::initializer_list<std::string_view> secrets) {
  tsync::Redactor redactor;
  for (const auto secret : secrets) redactor.add_secret(secret);
  return redactor;
}

std::string url_encoded(std::string_view value) {
  std::string out;
  tsync::append_url_encoded(out, value);
  return out;
}

}  // namespace

TEST_SUITE("redact") {
  TEST_CASE("no secret, or a text without one, is returned unchanged") {
    const tsync::Redactor none;
    CHECK(none.empty());
    CHECK(none.redact("Bearer s3cr3t-value") == "Bearer s3cr3t-value");
    const auto redactor = redactor_of({"s3cr3t-value"});
    CHECK_FALSE(redactor.empty());
    CHECK(redactor.redact("") == "");
    CHECK(redactor.redact("HTTP 401: bad token s3cr3t-valu") == "HTTP 401: bad token s3cr3t-valu");
  }

  TEST_CASE("every occurrence is masked: several, at the start, at the end, alone") {
    const auto redactor = redactor_of({"s3cr3t-value"});
    CHECK(redactor.redact(R"({"error":"bad token Bearer s3cr3t-value"})") ==
          R"({"error":"bad token Bearer [redacted]"})");
    CHECK(redactor.redact("s3cr3t-value, s3cr3t-value and s3cr3t-value") ==
          "[redacted], [redacted] and [redacted]");
    CHECK(redactor.redact("s3cr3t-value at the start") == "[redacted] at the start");
    CHECK(redactor.redact("at the end s3cr3t-value") == "at the end [redacted]");
    CHECK(redactor.redact("s3cr3t-value") == "[redacted]");
    CHECK(redactor.redact("s3cr3t-values3cr3t-value") == "[redacted]");
  }

  TEST_CASE("a secret that overlaps itself is masked whole") {
    const auto redactor = redactor_of({"abab"});
    CHECK(redactor.redact("ababab") == "[redacted]");
    CHECK(redactor.redact("xababax") == "x[redacted]ax");
    CHECK(redactor.redact("aababababb") == "a[redacted]b");
    CHECK(redactor_of({"aaaa"}).redact("baaaaaaab") == "b[redacted]b");
  }

  TEST_CASE("two secrets, one inside the other, leave no fragment") {
    const auto redactor = redactor_of({"token", "my-token-value"});
    CHECK(redactor.redact("a my-token-value b token c") == "a [redacted] b [redacted] c");
    // Where they overlap without one containing the other, the union is masked.
    const auto crossing = redactor_of({"abcdef", "defghi"});
    CHECK(crossing.redact("x abcdefghi y") == "x [redacted] y");
  }

  TEST_CASE("the URL-encoded forms are masked") {
    const std::string secret = "p@ss w/rd:é+~";
    const auto redactor = redactor_of({secret});
    SUBCASE("as append_url_encoded writes it") {
      const std::string encoded = url_encoded(secret);
      REQUIRE(encoded == "p%40ss%20w%2Frd%3A%C3%A9%2B~");
      CHECK(redactor.redact("GET http://h/x?key=" + encoded + "&since=1") ==
            "GET http://h/x?key=[redacted]&since=1");
    }
    SUBCASE("with lowercase hex") {
      CHECK(redactor.redact("key=p%40ss%20w%2frd%3a%c3%a9%2b~.") == "key=[redacted].");
    }
    SUBCASE("with '+' for a space, as forms do") {
      CHECK(redactor.redact("key=p%40ss+w%2Frd%3A%C3%A9%2B~") == "key=[redacted]");
    }
    SUBCASE("with only some characters encoded") {
      CHECK(redactor.redact("key=p@ss%20w/rd:%C3%A9+~") == "key=[redacted]");
    }
  }

  TEST_CASE("a JSON-escaped secret is masked") {
    const auto redactor = redactor_of({"ab/c\"d\\e"});
    CHECK(redactor.redact(R"({"echo":"ab\/c\"d\\e"})") == R"({"echo":"[redacted]"})");
    CHECK(redactor.redact(R"({"echo":"ab\u002fc\u0022d\u005ce"})") == R"({"echo":"[redacted]"})");
  }

  TEST_CASE("the Base64 forms are masked") {
    SUBCASE("the value itself, with or without padding, and base64url") {
      const auto redactor = redactor_of({"s3cr3t-value?>"});
      // base64("s3cr3t-value?>") == "czNjcjN0LXZhbHVlPz4="; base64url ends "Pz4"
      CHECK(redactor.redact("x czNjcjN0LXZhbHVlPz4= y") == "x [redacted] y");
      CHECK(redactor.redact("x czNjcjN0LXZhbHVlPz4 y") == "x [redacted] y");
      // "ab??>>cd", written so that no compiler reads a trigraph in it.
      const std::string both_alphabets = std::string("ab?") + "?>>cd";
      CHECK(redactor_of({both_alphabets}).redact("YWI_Pz4-Y2Q") == "[redacted]");
      CHECK(redactor_of({both_alphabets}).redact("YWI/Pz4+Y2Q=") == "[redacted]");
    }
    SUBCASE("Basic credentials of a value that is user:password") {
      const auto redactor = redactor_of({"alice:hunter22"});
      // base64("alice:hunter22") == "YWxpY2U6aHVudGVyMjI="
      CHECK(redactor.redact("Authorization: Basic YWxpY2U6aHVudGVyMjI=") ==
            "Authorization: Basic [redacted]");
      // The password alone is a secret too.
      CHECK(redactor.redact("password hunter22 refused") == "password [redacted] refused");
    }
    SUBCASE("a secret inside a longer Base64 text, at every alignment") {
      const auto redactor = redactor_of({"hunter22"});
      // base64 of "bob:hunter22", "alice:hunter22", "al:hunter22": the user
      // name's characters and the one that mixes its bits with the password's
      // stay, so does the padding.
      struct Case {
        std::string basic, kept;
      };
      for (const auto& [basic, kept] :
           {Case{"Ym9iOmh1bnRlcjIy", "Ym9iOm"}, Case{"YWxpY2U6aHVudGVyMjI=", "YWxpY2U6"},
            Case{"YWw6aHVudGVyMjI=", "YWw6"}}) {
        CAPTURE(basic);
        const std::string masked = redactor.redact("Basic " + basic);
        CHECK(masked.rfind("Basic " + kept + "[redacted]", 0) == 0);
        CHECK(masked.size() <= ("Basic " + kept + "[redacted]").size() + 2);
      }
    }
  }

  TEST_CASE("a secret shorter than 4 characters is refused without being named") {
    tsync::Redactor redactor;
    CHECK_THROWS_WITH_AS(redactor.add_secret("abc"),
                         "a secret must have at least 4 characters, this one has 3",
                         std::invalid_argument);
    CHECK_THROWS_AS(redactor.add_secret(""), std::invalid_argument);
    CHECK(redactor.empty());
    redactor.add_secret("abcd");
    CHECK(redactor.redact("xabcdx abc") == "x[redacted]x abc");
  }

  TEST_CASE("a text that only begins a secret or an encoding is left alone") {
    const auto redactor = redactor_of({"s3cr3t-value"});
    CHECK(redactor.redact("s3cr3t-val%") == "s3cr3t-val%");
    CHECK(redactor.redact("s3cr3t-val%7") == "s3cr3t-val%7");
    CHECK(redactor.redact("s3cr3t\\u00") == "s3cr3t\\u00");
    CHECK(redactor.redact("%") == "%");
  }

  TEST_CASE("field values are found in JSON, forms, plain text and HTML, names whole") {
    const std::vector<std::string> names{"access_token", "token"};
    CHECK(tsync::field_values(R"({"access_token": "a1", "token_type": "bearer"})", names) ==
          std::vector<std::string>{"a1"});
    CHECK(tsync::field_values("x=1&ACCESS_TOKEN=a%2F2&mytoken=no", names) ==
          std::vector<std::string>{"a%2F2"});
    CHECK(tsync::field_values("the token endpoint; token: t-3, done", names) ==
          std::vector<std::string>{"t-3"});
    CHECK(tsync::field_values("<dt>Token</dt> <dd>t-4</dd>", names) ==
          std::vector<std::string>{"t-4"});
    CHECK(tsync::mask_field_values("a=1&token=xyz&b=2", names) == "a=1&token=[redacted]&b=2");
    CHECK(tsync::mask_field_values("no secret here", names) == "no secret here");
  }
}
