// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "mock/mock_support.hpp"

using namespace mock_test;

TEST_SUITE("mock_admin_routes") {
  TEST_CASE("admin endpoints mutate the store and report counts") {
    Options options;
    options.users = 50;
    MockApi api(options);
    const int port = api.start();
    httplib::Client client("127.0.0.1", port);
    const auto stats = client.Get("/admin/stats");
    REQUIRE(stats);
    CHECK(stats->body == R"({"users":50,"requests":0})");
    const auto mutated = client.Post("/admin/mutate?update=5&add=3", "", "text/plain");
    REQUIRE(mutated);
    CHECK(mutated->body == R"({"users":53,"requests":0})");
    const auto bad = client.Post("/admin/mutate?update=five&add=3", "", "text/plain");
    REQUIRE(bad);
    CHECK(bad->status == 400);
    CHECK(bad->body.find("update and add must be whole numbers") != std::string::npos);
  }

  TEST_CASE("admin requests mutate, grow and describe a generic endpoint") {
    MockApi api;
    const int port = api.start();
    api.add_endpoint(tsync::mock::parse_endpoint_spec("path=/v1/orders,records=50"));
    httplib::Client client("127.0.0.1", port);
    const auto post = [&](const std::string& path) {
      const auto result = client.Post(path, "", "text/plain");
      REQUIRE(result);
      return std::make_pair(result->status, result->body);
    };
    CHECK(post("/admin/mutate?endpoint=/v1/orders&update=5&add=3") ==
          std::make_pair(200, std::string(R"({"records":53,"fields":0,"requests":0})")));
    CHECK(post("/admin/add_field?endpoint=/v1/orders&name=qty&kind=integer") ==
          std::make_pair(200, std::string(R"({"records":53,"fields":1,"requests":0})")));
    CHECK(post("/admin/add_field?endpoint=/v1/orders&name=qty&kind=integer") ==
          std::make_pair(400, std::string(R"({"error":"field name already in use: \"qty\""})")));
    CHECK(post("/admin/add_field?endpoint=/v1/orders&name=x&kind=decimal").first == 400);
    CHECK(post("/admin/mutate?endpoint=/v1/none&update=1") ==
          std::make_pair(404, std::string(R"({"error":"no endpoint at \"/v1/none\""})")));
    CHECK(post("/admin/mutate?update=1&add=1").second == R"({"users":1001,"requests":0})");
    get(port, "/v1/orders");
    const auto stats = client.Get("/admin/stats?endpoint=/v1/orders");
    REQUIRE(stats);
    CHECK(stats->body == R"({"records":53,"fields":1,"requests":1})");
    post("/admin/mutate?endpoint=/v1/orders&update=0&add=1");
    const Answer all = get(port, "/v1/orders");
    CHECK(all[all.size() - 1].HasMember("qty"));
  }

  TEST_CASE("admin requests delete and restore users and generic records") {
    Options options;
    options.users = 20;
    MockApi api(options);
    const int port = api.start();
    api.add_endpoint(tsync::mock::parse_endpoint_spec(
        "path=/v1/orders,records=30,key=integer,fields=deleted:bool"));
    httplib::Client client("127.0.0.1", port);
    const auto post = [&](const std::string& path) {
      const auto result = client.Post(path, "", "text/plain");
      REQUIRE(result);
      return std::make_pair(result->status, result->body);
    };
    const auto ids_in = [](const std::string& body) {
      rapidjson::Document document;
      document.Parse(body.c_str(), body.size());
      REQUIRE(document.IsObject());
      REQUIRE(document.HasMember("deleted"));
      std::vector<std::string> ids;
      for (const auto& id : document["deleted"].GetArray()) ids.emplace_back(id.GetString());
      return ids;
    };

    const auto [status, body] = post("/admin/delete?count=3&tombstone=flag");
    CHECK(status == 200);
    const auto users = ids_in(body);
    CHECK(users.size() == 3);
    CHECK(fetch(api, port).body.find(R"("deleted":true)") != std::string::npos);
    const auto stats = client.Get("/admin/stats");
    REQUIRE(stats);
    CHECK(stats->body == R"({"users":17,"requests":1})");
    CHECK(post("/admin/restore?ids=" + users[0] + "," + users[2]) ==
          std::make_pair(200, std::string(R"({"users":19,"requests":1})")));

    CHECK(post("/admin/delete?endpoint=/v1/orders&count=2&tombstone=at").second ==
          R"({"deleted":["12","22"]})");
    CHECK(api.records("/v1/orders").size() == 28);
    CHECK(post("/admin/delete?endpoint=/v1/orders&count=1&tombstone=flag") ==
          std::make_pair(400, std::string(R"({"error":"a tombstone cannot be served: the )"
                                          R"(records already have a field \"deleted\""})")));
    CHECK(post("/admin/restore?endpoint=/v1/orders&ids=22,12,99") ==
          std::make_pair(200, std::string(R"({"records":30,"fields":1,"requests":0})")));
    CHECK(post("/admin/delete?endpoint=/v1/orders&count=0").second == R"({"deleted":[]})");

    CHECK(
        post("/admin/delete?count=1&tombstone=soft") ==
        std::make_pair(400, std::string(R"({"error":"tombstone must be one of none, flag, at"})")));
    CHECK(post("/admin/delete") ==
          std::make_pair(400, std::string(R"({"error":"count must be a whole number"})")));
    CHECK(post("/admin/delete?count=x").first == 400);
    CHECK(post("/admin/delete?endpoint=/v1/none&count=1").first == 404);
    CHECK(post("/admin/restore?endpoint=/v1/none&ids=1").first == 404);
  }
}
