// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "mock/mock_support.hpp"

using namespace mock_test;

TEST_SUITE("mock_endpoint_spec") {
  TEST_CASE("endpoint specs are read from the command-line form, and mistakes named") {
    const EndpointSpec spec = tsync::mock::parse_endpoint_spec(
        "path=/v1/orders,records=1000,seed=9,key=composite,cursor_field=updated_at,"
        "cursor_format=unix_millis,since_param=updated_since,records_path=results,"
        "require=api_version:2;tenant:a:b,fields=amount:float;qty:integer;tags:array,"
        "page_size=50,since_mode=inclusive,unsorted=true,rate=1000");
    CHECK(spec.path == "/v1/orders");
    CHECK(spec.records == 1000);
    CHECK(spec.seed == 9);
    CHECK(spec.schema.key == KeyKind::Composite);
    CHECK(spec.schema.cursor_field == "updated_at");
    CHECK(spec.schema.cursor_format == CursorFormat::UnixMillis);
    CHECK(spec.since_param == "updated_since");
    CHECK(spec.records_path == "results");
    CHECK(spec.required_params ==
          std::map<std::string, std::string>{{"api_version", "2"}, {"tenant", "a:b"}});
    REQUIRE(spec.schema.fields.size() == 3);
    CHECK(spec.schema.fields[0].name == "amount");
    CHECK(spec.schema.fields[0].kind == FieldKind::Float);
    CHECK(spec.schema.fields[2].kind == FieldKind::Array);
    CHECK(spec.serving.page_size == 50);
    CHECK(spec.serving.since_mode == tsync::mock::SinceMode::Inclusive);
    CHECK(spec.serving.unsorted);
    CHECK(spec.serving.rate_limit_bytes_per_second == 1000);
    CHECK(tsync::mock::parse_endpoint_spec("path=/x,records_path=").records_path.empty());

    using tsync::mock::parse_endpoint_spec;
    CHECK_THROWS_WITH(parse_endpoint_spec(""), "empty endpoint spec (needs at least path=/...)");
    CHECK_THROWS_WITH(parse_endpoint_spec("records=5"), "path: missing (e.g. path=/v1/orders)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=orders"),
                      R"(path: "orders" is not a path such as /v1/orders)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/admin/x"),
                      R"(path: "/admin/x" is taken by the users or admin endpoints)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,records=many"),
                      R"(records: "many" is not a whole number)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,key=guid"),
                      R"(key: "guid" is not uuid, integer or composite)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,cursor_format=epoch"),
                      R"(cursor_format: "epoch" is not iso8601, unix_seconds or unix_millis)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,fields=amount"),
                      R"(fields: "amount" is not name:value)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,fields=amount:decimal"),
                      R"(fields: unknown kind "decimal" (string, integer, bigint, float, bool, )"
                      R"(null, object, array, numeric_string))");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,records_path=a..b"),
                      R"(records_path: "a..b" has an empty name)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,colour=red"),
                      R"(unknown key "colour" (see --help for the keys of --endpoint))");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,unsorted"), R"("unsorted" is not key=value)");

    MockApi api;
    api.add_endpoint(parse_endpoint_spec("path=/x"));
    CHECK_THROWS_WITH(api.add_endpoint(parse_endpoint_spec("path=/x")),
                      R"(path: "/x" is already served)");
    CHECK_THROWS_WITH(api.add_endpoint(parse_endpoint_spec("path=/y,fields=id:string")),
                      R"(field name already in use: "id")");
    CHECK_THROWS_AS(api.records("/y"), std::out_of_range);
  }

  TEST_CASE("endpoint specs read the paging keys, and name a bad one") {
    using tsync::mock::parse_endpoint_spec;
    const EndpointSpec spec = parse_endpoint_spec(
        "path=/v1/c,paging=last_record,order=newest_first,strict=true,latency_ms=25,"
        "repeat=true,next_field=@odata.nextLink,relative_next=true,max_page_size=500,"
        "since_param=,next_origin=http://127.0.0.2:8080");
    CHECK(spec.serving.paging == PagingStyle::LastRecord);
    CHECK(spec.serving.order == Order::NewestFirst);
    CHECK(spec.serving.strict);
    CHECK(spec.serving.latency == std::chrono::milliseconds(25));
    CHECK(spec.serving.repeat);
    CHECK(spec.serving.next_field == "@odata.nextLink");
    CHECK(spec.serving.relative_next);
    CHECK(spec.serving.max_page_size == 500);
    CHECK(spec.since_param.empty());
    CHECK(spec.serving.next_origin == "http://127.0.0.2:8080");
    for (const char* name : {"none", "link_header", "next_url", "token", "last_record", "offset",
                             "page_number", "keyset"}) {
      const auto style = tsync::mock::paging_style_from_name(name);
      REQUIRE(style);
      CHECK(tsync::mock::paging_style_name(*style) == name);
      CHECK(parse_endpoint_spec(std::string("path=/x,paging=") + name).serving.paging == *style);
    }
    CHECK(parse_endpoint_spec("path=/x,order=by_key").serving.order == Order::ByKey);
    CHECK(parse_endpoint_spec("path=/x,order=ascending").serving.order == Order::Ascending);

    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,paging=cursor"),
                      R"(paging: "cursor" is not none, link_header, next_url, token, last_record, )"
                      R"(offset, page_number, keyset or json_server)");
    CHECK(parse_endpoint_spec("path=/x,records_path=,paging=json_server").serving.paging ==
          PagingStyle::JsonServer);
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,paging=json_server"),
                      "records_path: must be empty with paging=json_server (json-server answers "
                      "a bare array)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,order=oldest"),
                      R"(order: "oldest" is not ascending, newest_first or by_key)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,strict=yes"),
                      R"(strict: "yes" is not true or false)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,repeat=1"),
                      R"(repeat: "1" is not true or false)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,relative_next=no"),
                      R"(relative_next: "no" is not true or false)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,latency_ms=-5"),
                      R"(latency_ms: "-5" is not a whole number)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,max_page_size=lots"),
                      R"(max_page_size: "lots" is not a whole number)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,next_field="), "next_field: must not be empty");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,next_origin=ftp://h"),
                      R"(next_origin: "ftp://h" is not an origin such as http://127.0.0.2:8080)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,records_path=,paging=token"),
                      "records_path: must not be empty with paging=token (its paging fields are "
                      "in the body object)");
    CHECK(parse_endpoint_spec("path=/x,records_path=,paging=link_header").records_path.empty());
    CHECK_THROWS_WITH(
        parse_endpoint_spec("path=/x,paging=keyset,order=by_key"),
        R"(order: "by_key" cannot page with keyset (it pages in ascending order only))");
    CHECK(std::string(tsync::mock::kEndpointSpecHelp).find("paging=none|link_header") !=
          std::string::npos);
  }

  TEST_CASE("auth specs and the window keys are read from the command-line form, mistakes named") {
    using tsync::mock::parse_auth_spec;
    using tsync::mock::parse_endpoint_spec;
    using Kind = AuthRequirement::Kind;
    CHECK(parse_auth_spec("none").kind == Kind::None);
    const AuthRequirement basic = parse_auth_spec("basic:alice:pa:ss");
    CHECK(basic.kind == Kind::Basic);
    CHECK(basic.username == "alice");
    CHECK(basic.password == "pa:ss");
    const AuthRequirement bearer = parse_auth_spec("bearer:tok:1");
    CHECK(bearer.kind == Kind::Bearer);
    CHECK(bearer.secret == "tok:1");
    const AuthRequirement header = parse_auth_spec("api_key:header:Authorization:apiKey :k:1");
    CHECK(header.kind == Kind::ApiKey);
    CHECK_FALSE(header.in_query);
    CHECK(header.name == "Authorization");
    CHECK(header.prefix == "apiKey ");
    CHECK(header.secret == "k:1");
    const AuthRequirement in_query = parse_auth_spec("api_key:query:api_key::k");
    CHECK(in_query.in_query);
    CHECK(in_query.name == "api_key");
    CHECK(in_query.prefix.empty());
    CHECK(in_query.secret == "k");
    const AuthRequirement session = parse_auth_spec("session:bob:pw");
    CHECK(session.kind == Kind::Session);
    CHECK(session.username == "bob");
    CHECK(session.password == "pw");
    CHECK(session.prefix == "Token ");
    CHECK(session.name == "Authorization");
    CHECK(parse_auth_spec("session:bob:pw:Bearer ").prefix == "Bearer ");
    CHECK(parse_auth_spec("oauth2").kind == Kind::OAuth2);
    const std::vector<std::pair<Kind, std::string>> names{
        {Kind::None, "none"},      {Kind::Bearer, "bearer"},   {Kind::Basic, "basic"},
        {Kind::ApiKey, "api_key"}, {Kind::Session, "session"}, {Kind::OAuth2, "oauth2"}};
    for (const auto& [kind, name] : names) CHECK(tsync::mock::auth_kind_name(kind) == name);

    const std::string kinds = " is not none, basic, bearer, api_key, session or oauth2";
    CHECK_THROWS_WITH(parse_auth_spec("digest:x"), ("\"digest\"" + kinds).c_str());
    CHECK_THROWS_WITH(parse_auth_spec(""), ("\"\"" + kinds).c_str());
    CHECK_THROWS_WITH(parse_auth_spec("basic:alice"), "basic needs the form basic:USER:PASSWORD");
    CHECK_THROWS_WITH(parse_auth_spec("basic::pw"), "basic needs the form basic:USER:PASSWORD");
    CHECK_THROWS_WITH(parse_auth_spec("bearer"), "bearer needs the form bearer:TOKEN");
    const char* api_key_form =
        "api_key needs the form api_key:header:NAME:PREFIX:KEY or api_key:query:NAME:PREFIX:KEY";
    CHECK_THROWS_WITH(parse_auth_spec("api_key:cookie:n::k"), api_key_form);
    CHECK_THROWS_WITH(parse_auth_spec("api_key:header:X:k"), api_key_form);
    CHECK_THROWS_WITH(parse_auth_spec("api_key:query:::k"), api_key_form);
    CHECK_THROWS_WITH(parse_auth_spec("api_key:query:n::"), api_key_form);
    CHECK_THROWS_WITH(parse_auth_spec("session:bob"),
                      "session needs the form session:USER:PASSWORD[:PREFIX]");
    CHECK_THROWS_WITH(parse_auth_spec("oauth2:x"), "oauth2 takes no parts after it");

    const EndpointSpec spec = parse_endpoint_spec(
        "path=/v1/r,until_param=end_time,max_range_seconds=86400,auth=api_key:query:key::abc");
    CHECK(spec.serving.until_param == "end_time");
    CHECK(spec.serving.max_range_seconds == 86400);
    CHECK(spec.auth.kind == Kind::ApiKey);
    CHECK(spec.auth.in_query);
    CHECK(spec.auth.name == "key");
    CHECK(spec.auth.secret == "abc");
    CHECK(parse_endpoint_spec("path=/x,auth=session:u:p:Bearer ").auth.prefix == "Bearer ");
    CHECK(parse_endpoint_spec("path=/x").auth.kind == Kind::None);
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,auth=basic:alice"),
                      "auth: basic needs the form basic:USER:PASSWORD");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,auth=kerberos"),
                      ("auth: \"kerberos\"" + kinds).c_str());
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,max_range_seconds=day"),
                      R"(max_range_seconds: "day" is not a whole number)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,max_range_seconds=60"),
                      "max_range_seconds: needs until_param (a range has two ends)");
    CHECK_THROWS_WITH(
        parse_endpoint_spec("path=/x,since_param=,until_param=u,max_range_seconds=60"),
        "max_range_seconds: needs since_param (a range has two ends)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,until_param=since"),
                      R"(until_param: "since" is the since parameter too)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/oauth/v1/token"),
                      R"(path: "/oauth/v1/token" is taken by the sign-in endpoints)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/auth/session_token/login"),
                      R"(path: "/auth/session_token/login" is taken by the sign-in endpoints)");
    const std::string help = tsync::mock::kEndpointSpecHelp;
    CHECK(help.find("auth=none") != std::string::npos);
    CHECK(help.find("until_param=") != std::string::npos);
    CHECK(help.find("max_range_seconds=0") != std::string::npos);

    // What check_auth and check_serving refuse in-process.
    Options options;
    options.auth.kind = Kind::Basic;
    CHECK_THROWS_WITH(MockApi{options}, "auth: basic needs a username without ':'");
    options.auth.username = "a:b";
    CHECK_THROWS_WITH(MockApi{options}, "auth: basic needs a username without ':'");
    options.auth = requirement(Kind::Bearer);
    CHECK_THROWS_WITH(MockApi{options}, "auth: bearer needs a token");
    options.auth = requirement(Kind::ApiKey);
    options.auth.secret = "k";
    options.auth.in_query = true;
    options.auth.name.clear();
    CHECK_THROWS_WITH(MockApi{options}, "auth: api_key needs the name of its query parameter");
    options.auth = requirement(Kind::Session);
    options.auth.username = "u";
    options.auth.name.clear();
    CHECK_THROWS_WITH(MockApi{options}, "auth: session needs the name of the header of its token");
    options.auth = {};
    options.max_range_seconds = -1;
    CHECK_THROWS_WITH(MockApi{options}, "max_range_seconds: must not be negative");
    options.max_range_seconds = 0;
    options.until_param = "since";
    CHECK_THROWS_WITH(MockApi{options}, R"(until_param: "since" is the since parameter too)");
    MockApi api;
    options.until_param = "";
    options.max_range_seconds = 10;
    CHECK_THROWS_WITH(api.set_options(options),
                      "max_range_seconds: needs until_param (a range has two ends)");
  }
}
