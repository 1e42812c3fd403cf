// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "common/errors.hpp"
#include "common/timestamp.hpp"
#include "discover/detect.hpp"
#include "source/pagination.hpp"

namespace {

using tsync::CursorFormat;
using tsync::Finding;
using tsync::JsonPath;
using tsync::Pagination;
using tsync::PagingType;
using tsync::Proposal;
using tsync::Response;
using tsync::Sureness;
using Headers = std::vector<std::pair<std::string, std::string>>;

Response response(std::string url, std::string body, Headers headers = {}, long status = 200) {
  Response r;
  r.url = std::move(url);
  r.status = status;
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

// Printable forms, so that a failing CHECK shows both sides.
std::string path_text(const JsonPath& path) {
  std::string out = "[";
  for (std::size_t i = 0; i < path.size(); ++i) out += (i ? "|" : "") + path[i];
  return out + "]";
}

std::string records_path_text(const std::optional<JsonPath>& path) {
  return path ? path_text(*path) : std::string("<nullopt>");
}

std::string params_text(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [name, value] : params) out += (out.empty() ? "" : "&") + name + "=" + value;
  return out;
}

std::string key_text(const std::vector<std::string>& key) {
  std::string out;
  for (const auto& field : key) out += (out.empty() ? "" : ",") + field;
  return out;
}

std::string type_text(PagingType type) { return tsync::paging_type_name(type); }

std::string format_text(CursorFormat format) {
  return std::string(tsync::cursor_format_name(format));
}

const Finding* finding(const Proposal& p, std::string_view key) {
  for (const auto& f : p.findings)
    if (f.key == key) return &f;
  return nullptr;
}

// The sureness of the finding for `key`, or "<no finding>".
std::string sureness(const Proposal& p, std::string_view key) {
  const Finding* f = finding(p, key);
  return f ? tsync::sureness_name(f->sureness) : "<no finding>";
}

std::string name_of(Sureness s) { return tsync::sureness_name(s); }

std::string warnings_text(const Proposal& p) {
  std::string out;
  for (const auto& w : p.warnings) out += (out.empty() ? "" : " | ") + w;
  return out.empty() ? "<no warning>" : out;
}

bool warns(const Proposal& p, std::string_view text) {
  for (const auto& w : p.warnings)
    if (w.find(text) != std::string::npos) return true;
  return false;
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// Every field of `actual` against `expected` (defaults where a type takes no key).
void check_pagination(const Pagination& actual, const Pagination& expected) {
  CHECK(type_text(actual.type) == type_text(expected.type));
  CHECK(path_text(actual.path) == path_text(expected.path));
  CHECK(actual.param == expected.param);
  CHECK(path_text(actual.has_more_path) == path_text(expected.has_more_path));
  CHECK(actual.repeat_since == expected.repeat_since);
  CHECK(actual.field == expected.field);
  CHECK(actual.limit_param == expected.limit_param);
  CHECK(actual.limit == expected.limit);
  CHECK(path_text(actual.total_path) == path_text(expected.total_path));
  CHECK(actual.size_param == expected.size_param);
  CHECK(actual.size == expected.size);
  CHECK(actual.first == expected.first);
  CHECK(path_text(actual.total_pages_path) == path_text(expected.total_pages_path));
}

Pagination paging(PagingType type) {
  Pagination p;
  p.type = type;
  return p;
}

// Three Fivetran playground users (also the seed mock's record shape).
const std::string kUsers = R"([
  {"id": 1, "name": "Ada Park", "email": "ada.park@example.com", "address": "12 Elm St",
   "company": "Northwind", "job": "Engineer",
   "createdAt": "2023-12-30T08:00:00Z", "updatedAt": "2024-01-01T10:00:00Z"},
  {"id": 2, "name": "Bo Chen", "email": "bo.chen@example.com", "address": "3 Oak Ave",
   "company": "Initech", "job": "Analyst",
   "createdAt": "2023-12-30T09:00:00Z", "updatedAt": "2024-01-01T11:00:00Z"},
  {"id": 3, "name": "Cy Diaz", "email": "cy.diaz@example.com", "address": "9 Pine Rd",
   "company": "Globex", "job": "Designer",
   "createdAt": "2023-12-31T07:30:00Z", "updatedAt": "2024-01-01T12:00:00Z"}
])";

const std::string kGithubIssues = R"([
  {"id": 2045123001, "node_id": "I_kwDOA1b2c84", "number": 101, "title": "Crash on empty config",
   "user": {"login": "octocat", "id": 583231}, "labels": [], "state": "open", "comments": 2,
   "created_at": "2024-01-02T09:00:00Z", "updated_at": "2024-01-03T10:15:00Z", "closed_at": null},
  {"id": 2045123002, "node_id": "I_kwDOA1b2c85", "number": 102, "title": "Retry on 502",
   "user": {"login": "hubot", "id": 480938}, "labels": [{"id": 7, "name": "bug"}],
   "state": "closed", "comments": 0,
   "created_at": "2024-01-02T11:00:00Z", "updated_at": "2024-01-04T08:00:00Z",
   "closed_at": "2024-01-04T08:00:00Z"},
  {"id": 2045123003, "node_id": "I_kwDOA1b2c86", "number": 103, "title": "Docs typo",
   "user": {"login": "octocat", "id": 583231}, "labels": [], "state": "open", "comments": 1,
   "created_at": "2024-01-03T12:00:00Z", "updated_at": "2024-01-05T09:30:00Z", "closed_at": null}
])";

const std::string kGithubUrl =
    "https://api.github.com/repos/acme/api/issues?state=all&per_page=100&since=2024-01-01T00:00:00Z";

}  // namespace

TEST_SUITE("detect") {
  TEST_CASE("GitHub issues with a Link header are a bare array paged by link_header") {
    Response r = response(
        kGithubUrl, kGithubIssues,
        {{"link",
          "<https://api.github.com/repositories/1/issues?state=all&per_page=100&since=2024-01-01T00%3A00%3A00Z&page=2>; "
          "rel=\"next\", "
          "<https://api.github.com/repositories/1/issues?state=all&per_page=100&since=2024-01-01T00%3A00%3A00Z&page=5>; "
          "rel=\"last\""}});
    Proposal p = tsync::detect(r);
    CHECK(p.url == "https://api.github.com/repos/acme/api/issues");
    CHECK(records_path_text(p.records_path) == "[]");
    CHECK(p.records == 3);
    CHECK(key_text(p.primary_key) == "id");
    CHECK(p.cursor_field == "updated_at");
    CHECK(format_text(p.cursor_format) == "iso8601");
    CHECK(p.since_param == "since");
    CHECK(params_text(p.params) == "state=all&per_page=100");
    check_pagination(p.pagination, paging(PagingType::LinkHeader));
    CHECK(sureness(p, "pagination") == name_of(Sureness::Sure));
    CHECK(sureness(p, "records_path") != "<no finding>");
  }

  TEST_CASE("GitHub issues on one page without a Link header have no pagination") {
    Proposal p = tsync::detect(response(kGithubUrl, kGithubIssues));
    CHECK(records_path_text(p.records_path) == "[]");
    CHECK(key_text(p.primary_key) == "id");
    CHECK(p.cursor_field == "updated_at");
    CHECK(p.since_param == "since");
    check_pagination(p.pagination, paging(PagingType::None));
    CHECK_MESSAGE(!warns(p, "capped"), warnings_text(p));
  }

  TEST_CASE("Shopify orders under orders paged by a Link header with page_info") {
    Response r = response(
        "https://shop.myshopify.com/admin/api/2024-01/orders.json?limit=250&status=any&updated_at_min=2024-01-01T00:00:00Z",
        R"({"orders": [
  {"id": 450789469, "name": "#1001", "email": "bob.norman@example.com",
   "created_at": "2024-01-02T10:00:00-05:00", "updated_at": "2024-01-02T10:05:00-05:00",
   "total_price": "409.94", "currency": "USD", "financial_status": "paid"},
  {"id": 450789470, "name": "#1002", "email": "jane.doe@example.com",
   "created_at": "2024-01-02T11:00:00-05:00", "updated_at": "2024-01-03T09:00:00-05:00",
   "total_price": "12.00", "currency": "USD", "financial_status": "pending"},
  {"id": 450789471, "name": "#1003", "email": "li.wei@example.com",
   "created_at": "2024-01-03T08:00:00-05:00", "updated_at": "2024-01-03T08:30:00-05:00",
   "total_price": "99.50", "currency": "USD", "financial_status": "refunded"}
]})",
        {{"link",
          "<https://shop.myshopify.com/admin/api/2024-01/orders.json?limit=250&page_info=eyJsYXN0X2lkIjo0NTA3ODk0NzF9>; "
          "rel=\"next\""}});
    Proposal p = tsync::detect(r);
    CHECK(p.url == "https://shop.myshopify.com/admin/api/2024-01/orders.json");
    CHECK(records_path_text(p.records_path) == "[orders]");
    CHECK(key_text(p.primary_key) == "id");
    CHECK(p.cursor_field == "updated_at");
    CHECK(p.since_param == "updated_at_min");
    CHECK(params_text(p.params) == "limit=250&status=any");
    check_pagination(p.pagination, paging(PagingType::LinkHeader));
  }

  TEST_CASE("Stripe customers page by the last id with has_more and have only a created time") {
    Response r = response("https://api.stripe.com/v1/customers?limit=100", R"({
  "object": "list", "url": "/v1/customers", "has_more": true,
  "data": [
    {"id": "cus_PQ3aBcDeFgHiJk", "object": "customer", "created": 1704153600,
     "email": "jenny.rosen@example.com", "name": "Jenny Rosen", "livemode": false, "metadata": {}},
    {"id": "cus_PQ2aBcDeFgHiJk", "object": "customer", "created": 1704110400,
     "email": "sam.lee@example.com", "name": "Sam Lee", "livemode": false, "metadata": {}},
    {"id": "cus_PQ1aBcDeFgHiJk", "object": "customer", "created": 1704067200,
     "email": "ann.kay@example.com", "name": null, "livemode": false, "metadata": {"tier": "gold"}}
  ]})");
    Proposal p = tsync::detect(r);
    CHECK(records_path_text(p.records_path) == "[data]");
    CHECK(key_text(p.primary_key) == "id");
    CHECK(p.cursor_field == "created");
    CHECK(format_text(p.cursor_format) == "unix_seconds");
    CHECK_MESSAGE(warns(p, "created"), warnings_text(p));
    CHECK(p.since_param == "");
    CHECK(params_text(p.params) == "limit=100");
    Pagination expected = paging(PagingType::LastRecord);
    expected.field = "id";
    expected.param = "starting_after";
    expected.has_more_path = {"has_more"};
    check_pagination(p.pagination, expected);
  }

  TEST_CASE("HubSpot contacts page by the token at paging.next.after") {
    Response r = response("https://api.hubapi.com/crm/v3/objects/contacts?limit=100&archived=false",
                          R"({"results": [
  {"id": "512", "properties": {"email": "ann@example.com", "firstname": "Ann", "lastname": "Lee",
     "createdate": "2024-01-01T08:00:00.000Z", "lastmodifieddate": "2024-01-02T09:00:00.000Z",
     "hs_object_id": "512"},
   "createdAt": "2024-01-01T08:00:00.000Z", "updatedAt": "2024-01-02T09:00:00.000Z", "archived": false},
  {"id": "513", "properties": {"email": "bo@example.com", "firstname": "Bo", "lastname": "Ray",
     "createdate": "2024-01-01T09:00:00.000Z", "lastmodifieddate": "2024-01-03T10:00:00.000Z",
     "hs_object_id": "513"},
   "createdAt": "2024-01-01T09:00:00.000Z", "updatedAt": "2024-01-03T10:00:00.000Z", "archived": false},
  {"id": "525", "properties": {"email": "cy@example.com", "firstname": "Cy", "lastname": "Orr",
     "createdate": "2024-01-02T07:00:00.000Z", "lastmodifieddate": "2024-01-02T07:30:00.000Z",
     "hs_object_id": "525"},
   "createdAt": "2024-01-02T07:00:00.000Z", "updatedAt": "2024-01-02T07:30:00.000Z", "archived": false}
 ],
 "paging": {"next": {"after": "NTI1Cg%3D%3D",
   "link": "https://api.hubapi.com/crm/v3/objects/contacts?after=NTI1Cg%3D%3D"}}})");
    Proposal p = tsync::detect(r);
    CHECK(records_path_text(p.records_path) == "[results]");
    CHECK(key_text(p.primary_key) == "id");
    CHECK(p.cursor_field == "updatedAt");
    CHECK(format_text(p.cursor_format) == "iso8601");
    CHECK(p.since_param == "");
    CHECK(params_text(p.params) == "limit=100&archived=false");
    Pagination expected = paging(PagingType::Token);
    expected.path = {"paging", "next", "after"};
    expected.param = "after";
    expected.repeat_since = true;
    check_pagination(p.pagination, expected);
    CHECK(contains(tsync::path_json(p.pagination.path), "paging.next.after"));
  }

  TEST_CASE("Microsoft Graph users follow the next URL at a key holding a dot") {
    Response r = response("https://graph.microsoft.com/v1.0/users?$top=2", R"({
  "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
  "value": [
    {"id": "87d349ed-44d7-43e1-9a83-5f2406dee5bd", "displayName": "Adele Vance",
     "mail": "AdeleV@contoso.com", "userPrincipalName": "AdeleV@contoso.com",
     "createdDateTime": "2024-01-01T10:00:00Z"},
    {"id": "5bde3e51-d13b-4db1-9948-fe4b109d11a7", "displayName": "Alex Wilber",
     "mail": "AlexW@contoso.com", "userPrincipalName": "AlexW@contoso.com",
     "createdDateTime": "2024-01-02T11:00:00Z"},
    {"id": "4782e723-f4f4-4af3-a76e-25e3bab0d896", "displayName": "Diego Siciliani",
     "mail": null, "userPrincipalName": "DiegoS@contoso.com",
     "createdDateTime": "2024-01-03T12:00:00Z"}
  ],
  "@odata.nextLink": "https://graph.microsoft.com/v1.0/users?$top=2&$skiptoken=RFNwdAIAAQAAA"})");
    Proposal p = tsync::detect(r);
    CHECK(p.url == "https://graph.microsoft.com/v1.0/users");
    CHECK(records_path_text(p.records_path) == "[value]");
    CHECK(key_text(p.primary_key) == "id");
    CHECK(p.cursor_field == "createdDateTime");
    CHECK(format_text(p.cursor_format) == "iso8601");
    CHECK_MESSAGE(warns(p, "created"), warnings_text(p));
    CHECK(params_text(p.params) == "$top=2");
    Pagination expected = paging(PagingType::NextUrl);
    expected.path = {"@odata.nextLink"};
    check_pagination(p.pagination, expected);
    CHECK(tsync::path_json(p.pagination.path) == R"(["@odata.nextLink"])");
  }

  TEST_CASE("Zendesk cursor export pages by after_cursor sent as cursor and keeps Unix seconds") {
    Response r = response(
        "https://acme.zendesk.com/api/v2/incremental/tickets/cursor.json?start_time=1704067200", R"({
  "tickets": [
    {"id": 35436, "url": "https://acme.zendesk.com/api/v2/tickets/35436.json",
     "created_at": "2024-01-01T00:10:00Z", "updated_at": "2024-01-01T00:20:00Z",
     "generated_timestamp": 1704068400, "subject": "Printer on fire", "status": "open"},
    {"id": 35437, "url": "https://acme.zendesk.com/api/v2/tickets/35437.json",
     "created_at": "2024-01-01T00:30:00Z", "updated_at": "2024-01-01T00:40:00Z",
     "generated_timestamp": 1704069600, "subject": "Login loop", "status": "pending"},
    {"id": 35438, "url": "https://acme.zendesk.com/api/v2/tickets/35438.json",
     "created_at": "2024-01-01T00:45:00Z", "updated_at": "2024-01-01T00:46:40Z",
     "generated_timestamp": 1704070000, "subject": "Refund", "status": "open"}
  ],
  "after_url": "https://acme.zendesk.com/api/v2/incremental/tickets/cursor.json?cursor=MTcwNDA3MDAwMC4w",
  "after_cursor": "MTcwNDA3MDAwMC4w",
  "before_url": null, "before_cursor": null, "end_of_stream": false})");
    Proposal p = tsync::detect(r);
    CHECK(records_path_text(p.records_path) == "[tickets]");
    CHECK(key_text(p.primary_key) == "id");
    CHECK(p.since_param == "start_time");
    CHECK(p.cursor_field == "generated_timestamp");
    CHECK(format_text(p.cursor_format) == "unix_seconds");
    CHECK(params_text(p.params) == "");
    Pagination expected = paging(PagingType::Token);
    expected.path = {"after_cursor"};
    expected.param = "cursor";
    expected.repeat_since = false;
    check_pagination(p.pagination, expected);
  }

  TEST_CASE("Change feeds are told apart: a Graph delta, Google's events, a Zendesk cursor export") {
    SUBCASE("a Graph delta query's first page") {
      Proposal p = tsync::detect(response(
          "https://graph.microsoft.com/v1.0/users/delta?$select=displayName,mail", R"js({
  "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users(displayName,mail)",
  "@odata.nextLink": "https://graph.microsoft.com/v1.0/users/delta?$skiptoken=pqwSUjGYvb3jQpbwVAwEL7yuI3dU1LecfkkfLPtnIjsXoYQp_dpA3cNJWc",
  "value": [{"displayName": "Ada", "mail": "ada@example.com", "id": "87d349ed-44d7-43e1-9a83-5f2406dee5bd"},
            {"displayName": "Bo", "mail": "bo@example.com", "id": "6e7b768e-07e2-4810-8459-485f84f8f204"}]})js"));
      REQUIRE(p.change_feed);
      CHECK(p.change_feed->type == tsync::FeedType::DeltaLink);
      CHECK(p.change_feed->removed_field == "@removed");
      CHECK(sureness(p, "change_feed") == name_of(Sureness::Likely));
      CHECK(p.cursor_field.empty());
      CHECK(warnings_text(p).find("no cursor field") == std::string::npos);
      CHECK(params_text(p.params) == "$select=displayName,mail");
    }
    SUBCASE("a Graph delta's last page") {
      Proposal p = tsync::detect(response("https://graph.microsoft.com/v1.0/groups/delta", R"js({
  "@odata.deltaLink": "https://graph.microsoft.com/v1.0/groups/delta?$deltatoken=sZwAFZibx",
  "value": [{"id": "g1", "displayName": "Ops"}, {"id": "g2", "@removed": {"reason": "deleted"}}]})js"));
      REQUIRE(p.change_feed);
      CHECK(p.change_feed->type == tsync::FeedType::DeltaLink);
      CHECK(sureness(p, "change_feed") == name_of(Sureness::Sure));
    }
    SUBCASE("a list of users that is no delta query") {
      Proposal p = tsync::detect(response("https://graph.microsoft.com/v1.0/users", R"js({
  "@odata.nextLink": "https://graph.microsoft.com/v1.0/users?$skiptoken=X",
  "value": [{"id": "a", "createdDateTime": "2024-01-01T00:00:00Z"}]})js"));
      CHECK_FALSE(p.change_feed);
    }
    SUBCASE("a calendar's events") {
      Proposal p = tsync::detect(response(
          "https://www.googleapis.com/calendar/v3/calendars/primary/events?maxResults=2", R"js({
  "kind": "calendar#events", "etag": "\"p33c9\"", "summary": "Team", "timeZone": "UTC",
  "nextPageToken": "CigKGjRvN2",
  "items": [
    {"kind": "calendar#event", "id": "0a1b2c", "status": "confirmed", "updated": "2024-01-02T03:04:05.000Z", "summary": "Standup"},
    {"kind": "calendar#event", "id": "0a1b2d", "status": "confirmed", "updated": "2024-01-03T03:04:05.000Z", "summary": "Review"}]})js"));
      REQUIRE(p.change_feed);
      CHECK(p.change_feed->type == tsync::FeedType::SyncToken);
      CHECK(p.change_feed->deleted_field == "status");
      CHECK(p.change_feed->deleted_values == std::vector<std::string>{"cancelled"});
      CHECK(p.cursor_field == "updated");
      CHECK(params_text(p.params) == "maxResults=2");
    }
    SUBCASE("Zendesk's cursor export") {
      Proposal p = tsync::detect(response(
          "https://acme.zendesk.com/api/v2/incremental/tickets/cursor.json?start_time=1704067200",
          R"js({"tickets": [{"id": 1, "status": "open", "generated_timestamp": 1704068400}],
              "after_cursor": "MTcwNDA3MDAwMC4w", "after_url": null, "end_of_stream": true})js"));
      REQUIRE(p.change_feed);
      CHECK(p.change_feed->type == tsync::FeedType::CursorExport);
      CHECK(p.change_feed->start_param == "start_time");
      CHECK(p.change_feed->deleted_values == std::vector<std::string>{"deleted"});
      CHECK(p.cursor_field == "generated_timestamp");
    }
  }

  TEST_CASE("Zendesk time export follows the next_page URL") {
    Response r = response("https://acme.zendesk.com/api/v2/incremental/tickets.json?start_time=1704067200",
                          R"({
  "tickets": [
    {"id": 35436, "url": "https://acme.zendesk.com/api/v2/tickets/35436.json",
     "created_at": "2024-01-01T00:10:00Z", "updated_at": "2024-01-01T00:20:00Z",
     "generated_timestamp": 1704068400, "subject": "Printer on fire", "status": "open"},
    {"id": 35437, "url": "https://acme.zendesk.com/api/v2/tickets/35437.json",
     "created_at": "2024-01-01T00:30:00Z", "updated_at": "2024-01-01T00:40:00Z",
     "generated_timestamp": 1704069600, "subject": "Login loop", "status": "deleted"},
    {"id": 35438, "url": "https://acme.zendesk.com/api/v2/tickets/35438.json",
     "created_at": "2024-01-01T00:45:00Z", "updated_at": "2024-01-01T00:46:40Z",
     "generated_timestamp": 1704070000, "subject": "Refund", "status": "open"}
  ],
  "next_page": "https://acme.zendesk.com/api/v2/incremental/tickets.json?start_time=1704070000",
  "count": 3, "end_of_stream": false, "end_time": 1704070000})");
    Proposal p = tsync::detect(r);
    CHECK(records_path_text(p.records_path) == "[tickets]");
    CHECK(key_text(p.primary_key) == "id");
    CHECK(p.since_param == "start_time");
    CHECK(p.cursor_field == "generated_timestamp");
    CHECK(format_text(p.cursor_format) == "unix_seconds");
    Pagination expected = paging(PagingType::NextUrl);
    expected.path = {"next_page"};
    check_pagination(p.pagination, expected);
  }

  TEST_CASE("Playground next_page_url endpoint follows next_page_url") {
    Response r = response(
        "http://127.0.0.1:5001/pagination/next_page_url?per_page=10&order_by=updatedAt&order_type=asc&updated_since=2024-01-01T00:00:00Z",
        R"({"data": )" + kUsers + R"(, "total_items": 200, "page": 1, "per_page": 10,
  "next_page_url": "http://127.0.0.1:5001/pagination/next_page_url?page=2&per_page=10&order_by=updatedAt&order_type=asc&updated_since=2024-01-01T00:00:00Z"})");
    Proposal p = tsync::detect(r);
    CHECK(p.url == "http://127.0.0.1:5001/pagination/next_page_url");
    CHECK(records_path_text(p.records_path) == "[data]");
    CHECK(key_text(p.primary_key) == "id");
    CHECK(p.cursor_field == "updatedAt");
    CHECK(format_text(p.cursor_format) == "iso8601");
    CHECK(p.since_param == "updated_since");
    CHECK(params_text(p.params) == "per_page=10&order_by=updatedAt&order_type=asc");
    Pagination expected = paging(PagingType::NextUrl);
    expected.path = {"next_page_url"};
    check_pagination(p.pagination, expected);
  }

  TEST_CASE("Playground page_number endpoint pages by page with a guessed per_page") {
    const std::string body = R"({"data": )" + kUsers +
                             R"(, "page": 1, "page_size": 10, "total_pages": 20, "total_items": 200})";
    Proposal p = tsync::detect(
        response("http://127.0.0.1:5001/pagination/page_number?order_by=updatedAt&order_type=asc", body));
    CHECK(records_path_text(p.records_path) == "[data]");
    CHECK(key_text(p.primary_key) == "id");
    CHECK(p.cursor_field == "updatedAt");
    CHECK(p.since_param == "");
    CHECK(sureness(p, "since_param") == name_of(Sureness::NotSeen));
    CHECK(params_text(p.params) == "order_by=updatedAt&order_type=asc");
    Pagination expected = paging(PagingType::Page);
    expected.param = "page";
    expected.size_param = "per_page";
    expected.size = 10;
    expected.first = 1;
    expected.total_pages_path = {"total_pages"};
    check_pagination(p.pagination, expected);
    CHECK(sureness(p, "pagination") == name_of(Sureness::Guessed));
  }

  TEST_CASE("Playground page_number endpoint with per_page in the URL takes it out of params") {
    const std::string body = R"({"data": )" + kUsers +
                             R"(, "page": 1, "page_size": 50, "total_pages": 4, "total_items": 200})";
    Proposal p = tsync::detect(response(
        "http://127.0.0.1:5001/pagination/page_number?per_page=50&order_by=updatedAt&order_type=asc", body));
    CHECK(params_text(p.params) == "order_by=updatedAt&order_type=asc");
    Pagination expected = paging(PagingType::Page);
    expected.param = "page";
    expected.size_param = "per_page";
    expected.size = 50;
    expected.first = 1;
    expected.total_pages_path = {"total_pages"};
    check_pagination(p.pagination, expected);
  }

  TEST_CASE("Playground offset endpoint pages by offset and limit up to the total") {
    Proposal p = tsync::detect(response(
        "http://127.0.0.1:5001/pagination/offset?limit=50",
        R"({"data": )" + kUsers + R"(, "offset": 0, "limit": 50, "total": 200})"));
    CHECK(records_path_text(p.records_path) == "[data]");
    CHECK(key_text(p.primary_key) == "id");
    CHECK(p.cursor_field == "updatedAt");
    CHECK(params_text(p.params) == "");
    Pagination expected = paging(PagingType::Offset);
    expected.param = "offset";
    expected.limit_param = "limit";
    expected.limit = 50;
    expected.total_path = {"total"};
    check_pagination(p.pagination, expected);
  }

  TEST_CASE("Playground keyset endpoint pages by scroll_param sending since once") {
    Proposal p = tsync::detect(response(
        "http://127.0.0.1:5001/pagination/keyset?updated_since=2024-01-01T00:00:00Z",
        R"({"data": )" + kUsers + R"(, "scroll_param": "MjAyNC0wMS0wMlQwMDowMDowMFo="})"));
    CHECK(records_path_text(p.records_path) == "[data]");
    CHECK(key_text(p.primary_key) == "id");
    CHECK(p.cursor_field == "updatedAt");
    CHECK(p.since_param == "updated_since");
    CHECK(params_text(p.params) == "");
    Pagination expected = paging(PagingType::Token);
    expected.path = {"scroll_param"};
    expected.param = "scroll_param";
    expected.repeat_since = false;
    check_pagination(p.pagination, expected);
  }

  TEST_CASE("json-server 0.17 pages by its Link header and keeps _page and _limit") {
    const std::string users = R"([
  {"id": 1, "name": "Leanne Graham", "email": "Sincere@april.biz", "updatedAt": "2024-01-01T10:00:00.000Z"},
  {"id": 2, "name": "Ervin Howell", "email": "Shanna@melissa.tv", "updatedAt": "2024-01-01T11:00:00.000Z"},
  {"id": 3, "name": "Clementine Bauch", "email": "Nathan@yesenia.net", "updatedAt": "2024-01-01T12:00:00.000Z"}
])";
    SUBCASE("several pages") {
      Proposal p = tsync::detect(response(
          "http://127.0.0.1:3000/users?_page=1&_limit=10", users,
          {{"x-total-count", "25"},
           {"link",
            "<http://127.0.0.1:3000/users?_page=1&_limit=10>; rel=\"first\", "
            "<http://127.0.0.1:3000/users?_page=2&_limit=10>; rel=\"next\", "
            "<http://127.0.0.1:3000/users?_page=3&_limit=10>; rel=\"last\""}}));
      CHECK(records_path_text(p.records_path) == "[]");
      CHECK(key_text(p.primary_key) == "id");
      CHECK(p.cursor_field == "updatedAt");
      CHECK(params_text(p.params) == "_page=1&_limit=10");
      check_pagination(p.pagination, paging(PagingType::LinkHeader));
    }
    SUBCASE("one page with an empty Link header") {
      Proposal p = tsync::detect(response("http://127.0.0.1:3000/users?_page=1&_limit=10", users,
                                          {{"x-total-count", "3"}, {"link", ""}}));
      CHECK(params_text(p.params) == "_page=1&_limit=10");
      check_pagination(p.pagination, paging(PagingType::LinkHeader));
      CHECK_MESSAGE(!warns(p, "capped"), warnings_text(p));
    }
  }

  TEST_CASE("json-server 1.0 pages by _page and _per_page up to pages") {
    Proposal p = tsync::detect(response("http://127.0.0.1:3000/users?_page=1&_per_page=10", R"({
  "first": 1, "prev": null, "next": 2, "last": 3, "pages": 3, "items": 25,
  "data": [
    {"id": "1", "name": "Leanne Graham", "email": "Sincere@april.biz", "updatedAt": "2024-01-01T10:00:00.000Z"},
    {"id": "2", "name": "Ervin Howell", "email": "Shanna@melissa.tv", "updatedAt": "2024-01-01T11:00:00.000Z"},
    {"id": "3", "name": "Clementine Bauch", "email": "Nathan@yesenia.net", "updatedAt": "2024-01-01T12:00:00.000Z"}
  ]})"));
    CHECK(records_path_text(p.records_path) == "[data]");
    CHECK(key_text(p.primary_key) == "id");
    CHECK(params_text(p.params) == "");
    Pagination expected = paging(PagingType::Page);
    expected.param = "_page";
    expected.size_param = "_per_page";
    expected.size = 10;
    expected.first = 1;
    expected.total_pages_path = {"pages"};
    check_pagination(p.pagination, expected);
  }

  TEST_CASE("The seed mock answers everything at once under data") {
    Proposal p = tsync::detect(response("http://127.0.0.1:5001/incremental/timestamp?since=2024-01-01T00:00:00Z",
                                        R"({"data": )" + kUsers + "}"));
    CHECK(p.url == "http://127.0.0.1:5001/incremental/timestamp");
    CHECK(records_path_text(p.records_path) == "[data]");
    CHECK(p.records == 3);
    CHECK(key_text(p.primary_key) == "id");
    CHECK(p.cursor_field == "updatedAt");
    CHECK(format_text(p.cursor_format) == "iso8601");
    CHECK(p.since_param == "since");
    CHECK(params_text(p.params) == "");
    check_pagination(p.pagination, paging(PagingType::None));
    CHECK(sureness(p, "cursor_field") == name_of(Sureness::Sure));
  }

  TEST_CASE("A body without an array of objects has no records path") {
    Proposal p = tsync::detect(response("http://127.0.0.1:5001/status", R"({"message": "ok", "count": 3})"));
    CHECK(records_path_text(p.records_path) == "<nullopt>");
    CHECK(sureness(p, "records_path") == name_of(Sureness::NotSeen));
  }

  TEST_CASE("A status that is not 2xx or a body that is not JSON is a permanent error naming the URL") {
    const std::string url = "http://127.0.0.1:5001/incremental/timestamp";
    Response r;
    SUBCASE("404") { r = response(url, R"({"message": "Not Found"})", {}, 404); }
    SUBCASE("500") { r = response(url, R"({"error": "boom"})", {}, 500); }
    SUBCASE("HTML") { r = response(url, "<html><body>Unauthorized</body></html>", {}, 200); }
    SUBCASE("cut short") { r = response(url, R"({"data": [{"id": 1, "updatedAt": )", {}, 200); }
    REQUIRE_THROWS_AS(tsync::detect(r), tsync::PermanentError);
    std::string message;
    try {
      tsync::detect(r);
    } catch (const tsync::PermanentError& e) {
      message = e.what();
    }
    CHECK_MESSAGE(contains(message, url), message);
  }

  TEST_CASE("Exactly 100 records without paging metadata look capped") {
    std::string body = "[";
    for (int i = 1; i <= 100; ++i) {
      if (i > 1) body += ",";
      const std::string minute = (i % 60 < 10 ? "0" : "") + std::to_string(i % 60);
      body += R"({"id": )" + std::to_string(i) + R"(, "name": "user )" + std::to_string(i) +
              R"(", "updatedAt": "2024-01-01T)" + (i < 60 ? "10" : "11") + ":" + minute + R"(:00Z"})";
    }
    body += "]";
    Proposal p = tsync::detect(response("http://127.0.0.1:5001/users?since=2024-01-01T00:00:00Z", body));
    CHECK(p.records == 100);
    check_pagination(p.pagination, paging(PagingType::None));
    CHECK_MESSAGE(warns(p, "capped"), warnings_text(p));
  }

  TEST_CASE("Ids that repeat within one answer are warned about") {
    Proposal p = tsync::detect(response("http://127.0.0.1:5001/users?since=2024-01-01T00:00:00Z", R"([
  {"id": 1, "name": "Ada", "updatedAt": "2024-01-01T10:00:00Z"},
  {"id": 2, "name": "Bo", "updatedAt": "2024-01-01T11:00:00Z"},
  {"id": 2, "name": "Bo again", "updatedAt": "2024-01-01T12:00:00Z"}
])"));
    CHECK_MESSAGE(warns(p, "id"), warnings_text(p));
    if (key_text(p.primary_key) == "id") CHECK_MESSAGE(warns(p, "not unique"), warnings_text(p));
  }

  TEST_CASE("Records without any timestamp have no cursor field") {
    Proposal p = tsync::detect(response("http://127.0.0.1:5001/scores", R"({"data": [
  {"id": 1, "name": "Ada", "score": 12.5, "active": true},
  {"id": 2, "name": "Bo", "score": 7, "active": false},
  {"id": 3, "name": "Cy", "score": 3.25, "active": true}
]})"));
    CHECK(key_text(p.primary_key) == "id");
    CHECK(p.cursor_field == "");
    CHECK(sureness(p, "cursor_field") == name_of(Sureness::NotSeen));
  }

  TEST_CASE("A deleted flag or a deletedAt time is proposed as the delete_field") {
    Proposal flag = tsync::detect(response("http://127.0.0.1:5001/items?since=2024-01-01T00:00:00Z",
                                           R"({"data": [
  {"id": 1, "updatedAt": "2024-01-02T00:00:00Z", "deleted": false},
  {"id": 2, "updatedAt": "2024-01-03T00:00:00Z", "deleted": true},
  {"id": 3, "updatedAt": "2024-01-04T00:00:00Z"}
]})"));
    CHECK(flag.delete_field == "deleted");
    CHECK(sureness(flag, "delete_field") == name_of(Sureness::Likely));
    Proposal at = tsync::detect(response("http://127.0.0.1:5001/items", R"({"data": [
  {"id": 1, "updatedAt": "2024-01-02T00:00:00Z", "deletedAt": null},
  {"id": 2, "updatedAt": "2024-01-03T00:00:00Z", "deletedAt": "2024-01-03T00:00:00Z"}
]})"));
    CHECK(at.delete_field == "deletedAt");
    // A "deleted" that is not true or false is not a tombstone's mark.
    Proposal text = tsync::detect(response("http://127.0.0.1:5001/items", R"({"data": [
  {"id": 1, "updatedAt": "2024-01-02T00:00:00Z", "deleted": "no"}
]})"));
    CHECK(text.delete_field == "");
    CHECK(sureness(text, "delete_field") == "<no finding>");
  }

  TEST_CASE("A since parameter given by the caller is used though the URL has none") {
    Proposal p = tsync::detect(
        response("http://127.0.0.1:5001/pagination/next_page_url?per_page=10",
                 R"({"data": )" + kUsers + R"(, "total_items": 3, "page": 1, "per_page": 10, "next_page_url": null})"),
        "updated_since");
    CHECK(p.since_param == "updated_since");
    CHECK(params_text(p.params) == "per_page=10");
  }

  TEST_CASE("paging_signals names a next link, a next URL, has_more and a total") {
    SUBCASE("a Link header with rel next") {
      Response r = response("https://api.github.com/repos/acme/api/issues", kGithubIssues,
                            {{"link", "<https://api.github.com/repositories/1/issues?page=2>; rel=\"next\""}});
      rapidjson::Document body;
      body.Parse(r.body.c_str());
      REQUIRE(!body.HasParseError());
      std::string all;
      for (const auto& s : tsync::paging_signals(r, body, 3)) all += s + " | ";
      CHECK_MESSAGE(contains(all, "Link"), all);
      CHECK_MESSAGE(contains(all, "next"), all);
    }
    SUBCASE("a next URL, has_more and a total in the body") {
      Response r = response(
          "http://127.0.0.1:5001/pagination/next_page_url",
          R"({"data": )" + kUsers + R"(, "has_more": true, "total": 200,
              "next_page_url": "http://127.0.0.1:5001/pagination/next_page_url?page=2"})");
      rapidjson::Document body;
      body.Parse(r.body.c_str());
      REQUIRE(!body.HasParseError());
      std::string all;
      for (const auto& s : tsync::paging_signals(r, body, 3)) all += s + " | ";
      CHECK_MESSAGE(contains(all, "next_page_url"), all);
      CHECK_MESSAGE(contains(all, "has_more"), all);
      CHECK_MESSAGE(contains(all, "total"), all);
    }
    SUBCASE("nothing of paging") {
      Response r = response("http://127.0.0.1:5001/incremental/timestamp", R"({"data": )" + kUsers + "}");
      rapidjson::Document body;
      body.Parse(r.body.c_str());
      REQUIRE(!body.HasParseError());
      CHECK(tsync::paging_signals(r, body, 3).empty());
    }
  }

  TEST_CASE("summarize_fields gives each field's stored type and spots timestamps") {
    rapidjson::Document records;
    records.Parse(kUsers.c_str());
    REQUIRE(!records.HasParseError());
    records[rapidjson::SizeType(0)].AddMember("address_parts", rapidjson::Value(rapidjson::kObjectType), records.GetAllocator());
    auto fields = tsync::summarize_fields(records);
    auto field = [&](std::string_view name) -> const tsync::FieldSummary* {
      for (const auto& f : fields)
        if (f.name == name) return &f;
      return nullptr;
    };
    REQUIRE(field("id") != nullptr);
    REQUIRE(field("name") != nullptr);
    REQUIRE(field("updatedAt") != nullptr);
    REQUIRE(field("address_parts") != nullptr);
    CHECK(field("id")->stored_as == "INTEGER");
    CHECK(field("id")->present == 3);
    CHECK(field("name")->stored_as == "TEXT");
    CHECK_FALSE(field("name")->timestamps);
    CHECK(field("updatedAt")->stored_as == "TEXT");
    CHECK(field("updatedAt")->timestamps);
    CHECK(field("address_parts")->stored_as == "JSON text");
    CHECK(field("address_parts")->present == 1);
  }

  TEST_CASE("duplicate_keys counts repeated keys and records without one") {
    rapidjson::Document records;
    records.Parse(R"([
  {"id": 1, "org": "a"}, {"id": 2, "org": "a"}, {"id": 1, "org": "a"},
  {"id": 1, "org": "b"}, {"name": "no id"}, {"id": null, "org": "a"}
])");
    REQUIRE(!records.HasParseError());
    std::int64_t missing = -1;
    CHECK(tsync::duplicate_keys(records, {"id"}, missing) == 2);
    CHECK(missing == 2);
    missing = -1;
    CHECK(tsync::duplicate_keys(records, {"id", "org"}, missing) == 1);
    CHECK(missing == 2);
  }

  TEST_CASE("cursor_instant reads ISO text, Unix seconds and Unix milliseconds") {
    rapidjson::Document doc;
    doc.Parse(R"({"iso": "2024-01-02T03:04:05Z", "s": 1704164645, "ms": 1704164645000, "bad": "soon"})");
    REQUIRE(!doc.HasParseError());
    auto iso = tsync::cursor_instant(doc["iso"], CursorFormat::Iso8601);
    REQUIRE(iso.has_value());
    CHECK(iso->seconds == 1704164645);
    CHECK(iso->nanos == 0);
    auto s = tsync::cursor_instant(doc["s"], CursorFormat::UnixSeconds);
    REQUIRE(s.has_value());
    CHECK(s->seconds == 1704164645);
    auto ms = tsync::cursor_instant(doc["ms"], CursorFormat::UnixMillis);
    REQUIRE(ms.has_value());
    CHECK(ms->seconds == 1704164645);
    CHECK(ms->nanos == 0);
    CHECK_FALSE(tsync::cursor_instant(doc["bad"], CursorFormat::Iso8601).has_value());
  }

  TEST_CASE("pagination_json and path_json write configuration text") {
    CHECK(contains(tsync::pagination_json(paging(PagingType::LinkHeader)), "\"link_header\""));
    Pagination token = paging(PagingType::Token);
    token.path = {"paging", "next", "after"};
    token.param = "after";
    const std::string json = tsync::pagination_json(token);
    CHECK_MESSAGE(contains(json, "\"token\""), json);
    CHECK_MESSAGE(contains(json, "paging.next.after"), json);
    CHECK(contains(tsync::path_json({"paging", "next", "after"}), "\"paging.next.after\""));
    CHECK(tsync::path_json({"@odata.nextLink"}) == R"(["@odata.nextLink"])");
  }
}
