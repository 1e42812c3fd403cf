// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "mock/mock_support.hpp"

using namespace mock_test;

TEST_SUITE("mock_fault") {
  TEST_CASE("queued faults are served in order, then normal answers resume") {
    Options options;
    options.users = 20;
    MockApi api(options);
    const int port = api.start();
    tsync::mock::Fault busy;
    busy.status = 503;
    busy.retry_after = "3";
    api.push_fault(busy);
    tsync::mock::Fault raw;
    raw.kind = tsync::mock::Fault::Kind::RawBody;
    raw.status = 200;
    raw.content_type = "text/html";
    raw.body = "<html>maintenance</html>";
    api.push_fault(raw);
    tsync::mock::Fault truncated;
    truncated.kind = tsync::mock::Fault::Kind::TruncateBody;
    truncated.after_bytes = 100;
    api.push_fault(truncated);

    httplib::Client client("127.0.0.1", port);
    const auto first = client.Get(tsync::mock::kUsersPath);
    REQUIRE(first);
    CHECK(first->status == 503);
    CHECK(first->get_header_value("Retry-After") == "3");
    const auto second = client.Get(tsync::mock::kUsersPath);
    REQUIRE(second);
    CHECK(second->body == "<html>maintenance</html>");
    CHECK(second->get_header_value("Content-Type") == "text/html");
    std::string received;
    const auto third = client.Get(tsync::mock::kUsersPath, [&](const char* data, std::size_t n) {
      received.append(data, n);
      return true;
    });
    CHECK_FALSE(third);  // the connection closed before Content-Length bytes came
    CHECK(received.size() == 100);
    CHECK(fetch(api, port).ids.size() == 20);
  }

  TEST_CASE("sign-in faults are served by the login and token endpoints, in order") {
    MockApi api;
    const int port = api.start();
    AuthRequirement session = requirement(AuthRequirement::Kind::Session);
    session.username = "u";
    session.password = "p";
    add_guarded(api, "/v1/s", session);
    tsync::mock::Fault busy;
    busy.status = 503;
    busy.retry_after = "2";
    api.push_sign_in_fault(busy);
    tsync::mock::Fault html;
    html.kind = tsync::mock::Fault::Kind::RawBody;
    html.status = 502;
    html.body = "<html>Bad Gateway</html>";
    html.content_type = "text/html";
    api.push_sign_in_fault(html);
    CHECK(raw_get(port, "/v1/s").status == 401);  // a data request takes no sign-in fault
    const Raw first = token_request(port, "grant_type=client_credentials&" + kClientBody);
    CHECK(first.status == 503);
    CHECK(first.retry_after == "2");
    const Raw second = raw_post(port, tsync::mock::kLoginPath, R"({"username":"u","password":"p"})",
                                "application/json");
    CHECK(second.status == 502);
    CHECK(second.body == "<html>Bad Gateway</html>");
    CHECK(second.content_type == "text/html");
    CHECK(log_in(port, "u", "p").size() >= 32);
    CHECK(access_token(port).size() >= 32);
    CHECK(api.token_requests() == 2);
    CHECK(api.login_requests() == 2);
  }
}
