// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "mock/mock_support.hpp"

using namespace mock_test;

TEST_SUITE("mock_auth") {
  TEST_CASE("sign-in text: form bodies decoded, credentials read from Authorization headers") {
    using Items = std::vector<std::pair<std::string, std::string>>;
    CHECK(tsync::mock::decode_form("a=1&b=x+y%21&&c&a=%3D") ==
          std::optional<Items>(Items{{"a", "1"}, {"b", "x y!"}, {"c", ""}, {"a", "="}}));
    CHECK(tsync::mock::decode_form("") == std::optional<Items>(Items{}));
    CHECK_FALSE(tsync::mock::decode_form("a=%2"));
    CHECK_FALSE(tsync::mock::decode_form("a=%g0"));
    CHECK(tsync::mock::form_decoded("my+app%3A") == std::optional<std::string>("my app:"));
    CHECK(tsync::mock::credentials_of("Bearer abc", "Bearer") == std::optional<std::string>("abc"));
    CHECK(tsync::mock::credentials_of("BEARER  abc", "Bearer") ==
          std::optional<std::string>("abc"));
    CHECK_FALSE(tsync::mock::credentials_of("Bearerabc", "Bearer"));
    CHECK_FALSE(tsync::mock::credentials_of("Bearer", "Bearer"));
    CHECK_FALSE(tsync::mock::credentials_of("Basic abc", "Bearer"));
    CHECK(tsync::mock::basic_credentials(basic_header("u", "p:q")) ==
          std::optional<std::pair<std::string, std::string>>({"u", "p:q"}));
    CHECK_FALSE(tsync::mock::basic_credentials("Basic " + tsync::mock::base64_encode("nocolon")));
    CHECK_FALSE(tsync::mock::basic_credentials("Basic %%%"));

    tsync::mock::TokenBook book;
    using Book = tsync::mock::TokenBook;
    const std::string session = book.issue(Book::Kind::Session, std::nullopt);
    const std::string access = book.issue(Book::Kind::Access, std::chrono::seconds(3600));
    const std::string spent = book.issue(Book::Kind::Access, std::chrono::seconds(0));
    CHECK(session.size() == 40);
    CHECK(session != access);
    CHECK(book.check(Book::Kind::Session, session) == Book::State::Valid);
    CHECK(book.check(Book::Kind::Access, session) == Book::State::Unknown);
    CHECK(book.check(Book::Kind::Access, access) == Book::State::Valid);
    CHECK(book.check(Book::Kind::Access, spent) == Book::State::Expired);
    CHECK(book.check(Book::Kind::Access, book.random_token()) == Book::State::Unknown);
    book.expire_all();
    CHECK(book.check(Book::Kind::Session, session) == Book::State::Expired);
    CHECK(book.check(Book::Kind::Access, access) == Book::State::Expired);
    const std::string later = book.issue(Book::Kind::Session, std::nullopt);
    CHECK(book.check(Book::Kind::Session, later) == Book::State::Valid);
  }
}
