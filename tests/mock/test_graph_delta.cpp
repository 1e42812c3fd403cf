// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "mock/graph_users.hpp"
#include "mock/mock_support.hpp"

using namespace mock_test;
using tsync::mock::GraphOptions;

namespace {

const std::string kDelta = "/v1.0/users/delta";
const std::string kContext = "https://graph.microsoft.com/v1.0/$metadata#users";

// A JSON value written compactly, as the mock writes its objects.
std::string compact(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return buffer.GetString();
}

httplib::Headers page_of(std::size_t size) {
  return {{"Prefer", "odata.maxpagesize=" + std::to_string(size)}};
}

// One read followed through its nextLinks to the deltaLink.
struct DeltaRead {
  std::vector<std::string> objects;  // every object of every page, as text
  std::size_t pages = 0;
  std::string delta_link;
  std::vector<std::string> contexts;
};

DeltaRead read_all(const std::string& first_url, std::size_t page_size) {
  DeltaRead read;
  std::string url = first_url;
  while (true) {
    REQUIRE(url.rfind("http://127.0.0.1:", 0) == 0);
    const std::size_t slash = url.find('/', 7);
    const int port = std::stoi(url.substr(17, slash - 17));
    const Reply page = fetch_reply(port, url.substr(slash), page_of(page_size));
    REQUIRE(page.status == 200);
    ++read.pages;
    read.contexts.push_back(text_of(page["@odata.context"]));
    CHECK(page["value"].Size() <= page_size);
    for (const auto& object : page["value"].GetArray()) read.objects.push_back(compact(object));
    if (page.json.HasMember("@odata.deltaLink")) {
      CHECK_FALSE(page.json.HasMember("@odata.nextLink"));
      read.delta_link = text_of(page["@odata.deltaLink"]);
      return read;
    }
    url = text_of(page["@odata.nextLink"]);
  }
}

std::string origin_of(int port) { return "http://127.0.0.1:" + std::to_string(port); }

std::pair<int, std::string> admin_post(int port, const std::string& target) {
  httplib::Client client("127.0.0.1", port);
  const auto result = client.Post(target, "", "text/plain");
  REQUIRE(result);
  return {result->status, result->body};
}

std::string removed_object(const std::string& id, const char* reason) {
  return "{\"id\":\"" + id + "\",\"@removed\":{\"reason\":\"" + reason + "\"}}";
}

std::vector<std::string> sorted(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  return items;
}

GraphOptions graph_users(std::size_t users) {
  GraphOptions options;
  options.users = users;
  return options;
}

}  // namespace

TEST_SUITE("graph delta") {
  TEST_CASE("a full read over pages brings every live user once and ends with a deltaLink") {
    MockApi api;
    const int port = api.start();
    CHECK(api.serve_graph(graph_users(23)) == api.url(kDelta));
    const DeltaRead read = read_all(origin_of(port) + kDelta, 5);
    CHECK(read.pages == 5);
    CHECK(read.objects == api.graph().live());
    CHECK(read.objects.size() == 23);
    CHECK(read.contexts == std::vector<std::string>(5, kContext));
    CHECK(read.delta_link.rfind(origin_of(port) + kDelta + "?$deltatoken=", 0) == 0);
    CHECK(api.graph().full_requests() == 5);
    CHECK(api.graph().delta_requests() == 0);

    // Each user has the shape Graph writes.
    const Reply one = fetch_reply(port, kDelta, page_of(1));
    const auto& user = one["value"][0];
    std::vector<std::string> names;
    for (const auto& m : user.GetObject()) names.emplace_back(m.name.GetString());
    CHECK(names == std::vector<std::string>{"id", "displayName", "givenName", "surname", "mail",
                                            "jobTitle", "userPrincipalName"});
    const std::string id = text_of(user["id"]);
    CHECK(id.size() == 36);
    CHECK(id[8] == '-');
    CHECK(id[23] == '-');
    CHECK(one.keys() == std::vector<std::string>{"@odata.context", "value", "@odata.nextLink"});
  }

  TEST_CASE("the long name of the delta function serves the same read") {
    MockApi api;
    const int port = api.start();
    api.serve_graph(graph_users(4));
    const DeltaRead read = read_all(origin_of(port) + "/v1.0/users/microsoft.graph.delta", 3);
    CHECK(read.objects == api.graph().live());
  }

  TEST_CASE("a delta read brings exactly the changed and added users then the removed ones") {
    MockApi api;
    const int port = api.start();
    api.serve_graph(graph_users(30));
    const DeltaRead first = read_all(origin_of(port) + kDelta, 7);

    // Nothing changed: an empty page with a new deltaLink.
    const DeltaRead idle = read_all(first.delta_link, 7);
    CHECK(idle.objects.empty());
    CHECK(idle.pages == 1);

    const auto [status, body] = admin_post(port, "/admin/graph/mutate?update=4&add=2");
    CHECK(status == 200);
    // A user changed twice appears once.
    api.graph().mutate(100, 0);
    const std::vector<std::string> hard = api.graph().remove(3, true);
    const std::vector<std::string> soft = api.graph().remove(2, false);
    CHECK(admin_post(port, "/admin/graph/remove?count=1&reason=sometimes").first == 400);

    const DeltaRead changes = read_all(first.delta_link, 4);
    std::vector<std::string> expected = api.graph().live();
    for (const std::string& id : hard) expected.push_back(removed_object(id, "deleted"));
    for (const std::string& id : soft) expected.push_back(removed_object(id, "changed"));
    CHECK(changes.objects == expected);
    CHECK(changes.objects.size() == 32 - 3 - 2 + 5);
    CHECK(api.graph().removed().size() == 5);
    CHECK(api.graph().delta_requests() == 1 + changes.pages);

    // The next deltaLink brings only what comes after: a restored user, changed.
    const auto restored = admin_post(port, "/admin/graph/restore?ids=" + soft[0]);
    CHECK(restored.first == 200);
    CHECK(restored.second == "{\"restored\":[\"" + soft[0] + "\"]}");
    CHECK(admin_post(port, "/admin/graph/restore?ids=" + hard[0]).first == 404);
    const DeltaRead after = read_all(changes.delta_link, 4);
    REQUIRE(after.objects.size() == 1);
    CHECK(after.objects[0] == api.graph().live().back());
    CHECK(after.objects[0].find(soft[0]) != std::string::npos);
  }

  TEST_CASE("a change made during a full read comes again in the next delta read") {
    MockApi api;
    const int port = api.start();
    api.serve_graph(graph_users(10));
    const Reply first = fetch_reply(port, kDelta, page_of(4));
    const std::vector<std::string> changed = api.graph().mutate(10, 0);
    const DeltaRead rest = read_all(text_of(first["@odata.nextLink"]), 4);
    const DeltaRead next = read_all(rest.delta_link, 100);
    CHECK(sorted(next.objects) == sorted(api.graph().live()));
    CHECK(next.objects.size() == changed.size());
  }

  TEST_CASE("$select is kept through skip and delta tokens and may not be repeated") {
    MockApi api;
    const int port = api.start();
    api.serve_graph(graph_users(9));
    const std::string first = origin_of(port) + kDelta + "?$select=mail,displayName,id";
    const DeltaRead read = read_all(first, 2);
    CHECK(read.objects == api.graph().live({"mail", "displayName"}));
    CHECK(read.contexts == std::vector<std::string>(read.pages, kContext + "(mail,displayName)"));
    api.graph().mutate(2, 1);
    const DeltaRead changes = read_all(read.delta_link, 2);
    CHECK(changes.objects.size() == 3);
    for (const std::string& object : changes.objects) {
      CHECK(object.find("\"mail\"") != std::string::npos);
      CHECK(object.find("jobTitle") == std::string::npos);
    }
    CHECK(changes.contexts.front() == kContext + "(mail,displayName)");

    const std::string token = read.delta_link.substr(read.delta_link.find("$deltatoken="));
    const Raw repeated = raw_get(port, kDelta + "?$select=mail&" + token);
    CHECK(repeated.status == 400);
    CHECK(text_of(repeated["error"]["code"]) == "BadRequest");
    const Raw unknown = raw_get(port, kDelta + "?$select=mail,shoeSize");
    CHECK(unknown.status == 400);
    CHECK(
        unknown.body ==
        R"({"error":{"code":"BadRequest","message":"Could not find a property named 'shoeSize' on type 'microsoft.graph.user'."}})");
  }

  TEST_CASE("the Prefer header's odata.maxpagesize sets the page size and 1000 is the most") {
    GraphOptions options = graph_users(12);
    options.page = 5;
    MockApi api;
    const int port = api.start();
    api.serve_graph(options);
    CHECK(fetch_reply(port, kDelta)["value"].Size() == 5);
    httplib::Client client("127.0.0.1", port);
    const auto three = client.Get(kDelta, {{"Prefer", "return=minimal, odata.maxpagesize=3"}});
    REQUIRE(three);
    CHECK(three->get_header_value("Preference-Applied") == "odata.maxpagesize=3");
    const Reply reply = read_reply(three);
    CHECK(reply["value"].Size() == 3);
    CHECK(fetch_reply(port, kDelta, page_of(5000))["value"].Size() == 12);
    const auto cut = client.Get(kDelta, page_of(5000));
    REQUIRE(cut);
    CHECK(cut->get_header_value("Preference-Applied") == "odata.maxpagesize=1000");
    // A nextLink's page takes the size its own request asks for.
    const Reply next = fetch_url(text_of(reply["@odata.nextLink"]));
    CHECK(next["value"].Size() == 5);
  }

  TEST_CASE("a malformed token answers 400 BadRequest") {
    MockApi api;
    const int port = api.start();
    api.serve_graph();
    for (const std::string& target :
         {kDelta + "?$deltatoken=not-a-token", kDelta + "?$skiptoken=%25%25",
          kDelta + "?$deltatoken=", kDelta + "?$skiptoken=ZC4xLjEuMC4wLjAuMC4wLjAu"}) {
      CAPTURE(target);
      const Raw answer = raw_get(port, target);
      CHECK(answer.status == 400);
      CHECK(text_of(answer["error"]["code"]) == "BadRequest");
    }
    // A delta token is no skip token.
    const Raw both = raw_get(port, kDelta + "?$skiptoken=a&$deltatoken=b");
    CHECK(both.status == 400);
    CHECK(raw_get(port, "/v1.0/groups/delta").status == 400);
  }

  TEST_CASE("a token issued before an expiry answers 410 syncStateNotFound") {
    MockApi api;
    const int port = api.start();
    api.serve_graph(graph_users(6));
    const Reply first = fetch_reply(port, kDelta, page_of(4));
    const std::string next = text_of(first["@odata.nextLink"]);
    const DeltaRead read = read_all(next, 4);
    CHECK(admin_post(port, "/admin/graph/expire").first == 200);
    const std::string expired =
        R"({"error":{"code":"syncStateNotFound","message":"The sync state generation is not found."}})";
    for (const std::string& url : {next, read.delta_link}) {
      const Raw answer = raw_get(port, url.substr(url.find("/v1.0/")));
      CHECK(answer.status == 410);
      CHECK(answer.body == expired);
    }
    // Starting over without a token works, and its tokens do.
    const DeltaRead again = read_all(origin_of(port) + kDelta, 4);
    CHECK(read_all(again.delta_link, 4).objects.empty());
  }

  TEST_CASE("a token older than the TTL expires and resyncRequired answers 400 when asked for") {
    GraphOptions options = graph_users(3);
    options.token_ttl_seconds = 60;
    MockApi api;
    const int port = api.start();
    api.serve_graph(options);
    const DeltaRead read = read_all(origin_of(port) + kDelta, 10);
    const std::string target = read.delta_link.substr(read.delta_link.find("/v1.0/"));
    api.change_clock().after(tsync::Instant{api.change_clock().now().seconds + 58, 0});
    CHECK(raw_get(port, target).status == 200);
    api.change_clock().after(tsync::Instant{api.change_clock().now().seconds + 3, 0});
    CHECK(raw_get(port, target).status == 410);

    options.resync_required = true;
    api.serve_graph(options);
    const Raw resync = raw_get(port, target);
    CHECK(resync.status == 400);
    CHECK(text_of(resync["error"]["code"]) == "resyncRequired");
  }

  TEST_CASE("the Graph admin routes answer 404 until users are served and stats count requests") {
    MockApi api;
    const int port = api.start();
    CHECK(admin_post(port, "/admin/graph/mutate?update=1").first == 404);
    CHECK(raw_get(port, kDelta).status == 404);
    CHECK_THROWS_AS(api.graph(), std::logic_error);
    api.serve_graph(graph_users(4));
    read_all(origin_of(port) + kDelta, 3);
    const Raw stats = raw_get(port, "/admin/graph/stats");
    CHECK(stats.body == R"({"users":4,"removed":0,"full_requests":2,"delta_requests":0})");
    CHECK(tsync::mock::parse_graph_spec("50:7").page == 7);
    CHECK_THROWS_WITH(tsync::mock::parse_graph_spec("50:0"), "PAGE must be from 1 to 1000");
    CHECK_THROWS_AS(tsync::mock::parse_graph_spec("x"), std::invalid_argument);
  }
}
