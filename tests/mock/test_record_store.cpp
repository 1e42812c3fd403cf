// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "mock/mock_support.hpp"

using namespace mock_test;

TEST_SUITE("mock_record_store") {
  TEST_CASE("keys: UUID-like strings, integers, and composite keys unique only together") {
    MockApi api;
    const int port = api.start();
    for (const KeyKind key : {KeyKind::Uuid, KeyKind::Integer, KeyKind::Composite}) {
      EndpointSpec spec;
      spec.path = "/v1/" + std::string(tsync::mock::key_kind_name(key));
      spec.records = 200;
      spec.schema.key = key;
      api.add_endpoint(spec);
      const Answer all = get(port, spec.path);
      REQUIRE(all.size() == 200);
      const auto served = api.records(spec.path).snapshot();
      std::set<std::string> ids;
      std::set<std::pair<std::int64_t, std::int64_t>> pairs;
      for (std::size_t i = 0; i < all.size(); ++i) {
        const auto& r = all[i];
        CHECK(member_text(r, "id") == served[i].id);
        if (key == KeyKind::Uuid) {
          REQUIRE(r["id"].IsString());
          CHECK(r["id"].GetStringLength() == 36);
          CHECK_FALSE(served[i].account_id);
        } else {
          REQUIRE(r["id"].IsInt64());
          CHECK(r["id"].GetInt64() >= 1);
        }
        if (key == KeyKind::Composite) {
          REQUIRE(r["account_id"].IsInt64());
          REQUIRE(served[i].account_id);
          CHECK(*served[i].account_id == r["account_id"].GetInt64());
          pairs.emplace(r["account_id"].GetInt64(), r["id"].GetInt64());
          CHECK(std::string(r.MemberBegin()->name.GetString()) == "account_id");
        } else {
          CHECK_FALSE(r.HasMember("account_id"));
        }
        ids.insert(member_text(r, "id"));
      }
      if (key == KeyKind::Composite) {
        CHECK(pairs.size() == 200);
        CHECK(ids.size() < 200);
      } else {
        CHECK(ids.size() == 200);
      }
    }
  }

  TEST_CASE("every kind of extra field is rendered as its JSON type") {
    RecordStore store(every_kind_spec(400).schema, 400, 11);
    const auto served = store.snapshot();
    std::set<std::string> numeric_strings;
    std::size_t near_limits = 0, empty_arrays = 0, exponents = 0, tricky = 0, negative_big = 0;
    for (const auto& record : served) {
      rapidjson::Document d;
      d.Parse(record.json.c_str(), record.json.size());
      REQUIRE_FALSE(d.HasParseError());
      REQUIRE(d.IsObject());
      // Keys in order: id, the fields as declared, the cursor.
      std::vector<std::string> names;
      for (const auto& m : d.GetObject()) names.emplace_back(m.name.GetString());
      CHECK(names == std::vector<std::string>{"id", "s", "i", "big", "f", "b", "nothing", "o", "a",
                                              "ns", "updatedAt"});
      CHECK(d["s"].IsString());
      const std::string s = d["s"].GetString();
      if (s.find_first_of("\"\\\n\t") != std::string::npos) ++tricky;
      REQUIRE(d["i"].IsInt64());
      if (d["i"].GetInt64() > 9'000'000'000'000'000'000 ||
          d["i"].GetInt64() < -9'000'000'000'000'000'000)
        ++near_limits;
      // Beyond 64 bits: RapidJSON can only read it as a double.
      CHECK(d["big"].IsDouble());
      CHECK_FALSE(d["big"].IsInt64());
      CHECK_FALSE(d["big"].IsUint64());
      const auto big_at = record.json.find(R"("big":)") + 6;
      const auto big_end = record.json.find(',', big_at);
      std::string big = record.json.substr(big_at, big_end - big_at);
      if (big.front() == '-') {
        ++negative_big;
        big.erase(0, 1);
      }
      CHECK(big.size() >= 21);
      CHECK(big.find_first_not_of("0123456789") == std::string::npos);
      CHECK(d["f"].IsDouble());
      const auto f_at = record.json.find(R"("f":)") + 4;
      const std::string f = record.json.substr(f_at, record.json.find(',', f_at) - f_at);
      CHECK(f.find_first_of(".eE") != std::string::npos);
      if (f.find_first_of("eE") != std::string::npos) ++exponents;
      CHECK(d["b"].IsBool());
      CHECK(d["nothing"].IsNull());
      REQUIRE(d["o"].IsObject());
      CHECK(d["o"]["geo"].IsObject());
      CHECK(d["o"]["tags"].IsArray());
      REQUIRE(d["a"].IsArray());
      if (d["a"].Empty()) ++empty_arrays;
      REQUIRE(d["ns"].IsString());
      numeric_strings.insert(d["ns"].GetString());
      CHECK(d["updatedAt"].IsString());
    }
    CHECK(near_limits > 20);
    CHECK(empty_arrays > 20);
    CHECK(exponents > 20);
    CHECK(tricky > 5);
    CHECK(negative_big > 20);
    for (const char* text : {"05", "1e3", "  7", "-0", "007", "1.50"})
      CHECK(numeric_strings.count(text) == 1);
  }

  TEST_CASE("a field added between two reads appears on the records that change after it") {
    MockApi api;
    const int port = api.start();
    api.add_endpoint(tsync::mock::parse_endpoint_spec(
        "path=/v1/orders,records=100,key=integer,fields=amount:float"));
    RecordStore& store = api.records("/v1/orders");
    const auto first = store.snapshot();
    store.add_field({"color", FieldKind::String});
    store.add_field({"a\"b", FieldKind::Integer});
    CHECK_THROWS_WITH(store.add_field({"color", FieldKind::Bool}),
                      R"(field name already in use: "color")");
    CHECK_THROWS_WITH(store.add_field({"updatedAt", FieldKind::Bool}),
                      R"(field name already in use: "updatedAt")");
    CHECK(store.schema().fields.size() == 3);
    // Nothing changed yet: the same records, byte for byte.
    CHECK(get(port, "/v1/orders").body == R"({"data":[)" + joined(first) + "]}");

    store.mutate(3, 2);
    const Answer changed = get(port, "/v1/orders?" + query("since", first.back().cursor));
    REQUIRE(changed.size() == 5);
    for (std::size_t i = 0; i < changed.size(); ++i) {
      CHECK(changed[i]["color"].IsString());
      CHECK(changed[i]["a\"b"].IsInt64());
      CHECK(changed[i]["amount"].IsDouble());
    }
    const Answer all = get(port, "/v1/orders");
    REQUIRE(all.size() == 102);
    std::size_t with_color = 0;
    for (std::size_t i = 0; i < all.size(); ++i) with_color += all[i].HasMember("color") ? 1 : 0;
    CHECK(with_color == 5);
    CHECK(all.body.find(R"("a\"b":)") != std::string::npos);
  }

  TEST_CASE("raw records with hostile field names are served verbatim at their position") {
    MockApi api;
    const int port = api.start();
    api.add_endpoint(tsync::mock::parse_endpoint_spec(
        "path=/v1/"
        "orders,records=20,key=integer,cursor_field=updated_at,cursor_format=unix_millis"));
    RecordStore& store = api.records("/v1/orders");
    const auto before = store.snapshot();
    const std::string hostile =
        R"({"id":999,"a\"b":1,"[x]":2,"`t`":3,"; DROP TABLE x; --":4,"select":5,)"
        R"("Name":"upper","name":"lower","":"empty","Zoë 東京":"unicode",)"
        R"("updated_at":)" +
        before[10].cursor + "}";
    store.add_raw(hostile, before[10].updated);
    const auto after = store.snapshot();
    REQUIRE(after.size() == 21);
    CHECK(store.size() == 20);
    // After the records of its instant, before every later one.
    std::size_t at = 0;
    while (!after[at].raw) ++at;
    CHECK(after[at].json == hostile);
    CHECK(after[at].updated == before[10].updated);
    CHECK(after[at - 1].updated <= before[10].updated);
    CHECK(after[at + 1].updated > before[10].updated);
    const Answer all = get(port, "/v1/orders");
    CHECK(all.body.find("," + hostile + ",") != std::string::npos);
    CHECK(all[at].HasMember(""));
    CHECK(all[at].HasMember("; DROP TABLE x; --"));
    CHECK(get(port, "/v1/orders?since=" + before[10].cursor).body.find(hostile) ==
          std::string::npos);

    // The same over HTTP, positioned after everything by default.
    httplib::Client client("127.0.0.1", port);
    const auto added =
        client.Post("/admin/add_raw?endpoint=/v1/orders", R"({"id":"x"})", "application/json");
    REQUIRE(added);
    CHECK(added->status == 200);
    const auto last = store.snapshot().back();
    CHECK(last.raw);
    CHECK(last.json == R"({"id":"x"})");
    CHECK(last.updated.seconds == after.back().updated.seconds + 1);
  }

  TEST_CASE("generic records are deterministic from the seed and the calls") {
    const auto schema = every_kind_spec(0).schema;
    RecordStore a(schema, 300, 5), b(schema, 300, 5), c(schema, 300, 6);
    CHECK(joined(a.snapshot()) == joined(b.snapshot()));
    CHECK(joined(a.snapshot()) != joined(c.snapshot()));
    for (RecordStore* store : {&a, &b}) {
      store->add_field({"extra", FieldKind::Object});
      store->mutate(30, 10);
      store->mutate(300, 0);
    }
    CHECK(a.size() == 310);
    CHECK(joined(a.snapshot()) == joined(b.snapshot()));
  }

  TEST_CASE("remove without a tombstone: the records are no longer served anywhere") {
    SUBCASE("users") {
      Options options;
      options.users = 60;
      MockApi api(options);
      const int port = api.start();
      UserStore& store = api.store();
      const auto before = ids_of(store.snapshot());
      const std::vector<std::string> removed = store.remove(10);
      REQUIRE(removed.size() == 10);
      const std::set<std::string> gone(removed.begin(), removed.end());
      CHECK(gone.size() == 10);
      for (const auto& id : removed)
        CHECK(std::find(before.begin(), before.end(), id) != before.end());
      CHECK(store.size() == 50);
      const auto after = ids_of(store.snapshot());
      CHECK(after.size() == 50);
      const Page page = fetch(api, port);
      CHECK(page.ids == after);
      for (const auto& id : page.ids) CHECK(gone.count(id) == 0);
      // A change never brings a removed user back; removing more than are left
      // removes the rest.
      store.mutate(1000, 0);
      CHECK(store.size() == 50);
      for (const auto& u : store.snapshot()) CHECK(gone.count(u.id) == 0);
      CHECK(store.remove(1000).size() == 50);
      CHECK(store.size() == 0);
      CHECK(fetch(api, port).ids.empty());
    }
    SUBCASE("generic records, composite keys") {
      tsync::mock::RecordSchema schema;
      schema.key = KeyKind::Composite;
      RecordStore records(schema, 70, 4);
      const auto before = records.snapshot();
      const std::vector<std::string> removed = records.remove(7);
      REQUIRE(removed.size() == 7);
      std::set<std::string> known;
      for (const auto& r : before) known.insert(std::to_string(*r.account_id) + "/" + r.id);
      for (const auto& id : removed) CHECK(known.count(id) == 1);
      CHECK(records.size() == 63);
      const auto after = records.snapshot();
      CHECK(after.size() == 63);
      CHECK(records.catalog()->size() == 63);
      for (const auto& r : after) {
        CHECK_FALSE(r.tombstone);
        CHECK(std::count(removed.begin(), removed.end(),
                         std::to_string(*r.account_id) + "/" + r.id) == 0);
      }
      CHECK(records.latest() == before.back().updated);
    }
  }

  TEST_CASE("generic records removed with a tombstone are served exactly, after every cursor") {
    EndpointSpec spec;
    spec.path = "/v1/orders";
    spec.records = 50;
    spec.seed = 9;
    spec.schema.key = KeyKind::Composite;
    spec.schema.cursor_field = "modified";
    spec.schema.cursor_format = CursorFormat::UnixMillis;
    spec.schema.fields = {{"amount", FieldKind::Float}, {"tags", FieldKind::Array}};
    MockApi api;
    const int port = api.start();
    api.add_endpoint(spec);
    RecordStore& store = api.records("/v1/orders");
    const auto before = store.snapshot();
    const tsync::Instant latest = store.latest();
    const std::string since = "/v1/orders?" + query("since", tsync::mock::served_cursor_text(
                                                                 latest, CursorFormat::UnixMillis));
    const auto previous = [&](const std::string& key) {
      for (const auto& r : before)
        if (std::to_string(*r.account_id) + "/" + r.id == key) return r;
      FAIL("no record " << key);
      return ServedRecord{};
    };

    // The exact text of the tombstone `t` of the record `key`, removed as `how`.
    const auto expected = [&](Tombstone how, const ServedRecord& t, const std::string& key) {
      if (how == Tombstone::Flag)
        return R"({"account_id":)" + std::to_string(*t.account_id) + R"(,"id":)" + t.id +
               R"(,"modified":)" + t.cursor + R"(,"deleted":true})";
      const std::string last = previous(key).json;
      const std::size_t cursor_at = last.rfind(R"("modified":)");
      REQUIRE(cursor_at != std::string::npos);
      return last.substr(0, cursor_at) + R"("modified":)" + t.cursor + R"(,"deletedAt":")" +
             tsync::mock::served_cursor_text(t.updated, CursorFormat::Iso8601) + "\"}";
    };

    Tombstone how = Tombstone::Flag;
    SUBCASE("flag") { how = Tombstone::Flag; }
    SUBCASE("at") { how = Tombstone::At; }
    const auto removed = store.remove(4, how);
    REQUIRE(removed.size() == 4);
    const Answer answer = get(port, since);
    REQUIRE(answer.size() == 4);
    std::vector<ServedRecord> tombstones;
    for (const auto& r : store.snapshot())
      if (r.tombstone) tombstones.push_back(r);
    REQUIRE(tombstones.size() == 4);
    for (std::size_t k = 0; k < 4; ++k) {
      const ServedRecord& t = tombstones[k];
      CHECK(std::to_string(*t.account_id) + "/" + t.id == removed[k]);
      CHECK(t.updated > latest);
      CHECK(t.json == expected(how, t, removed[k]));
    }
    CHECK(answer.body == "{\"data\":[" + joined(tombstones) + "]}");
    CHECK(store.size() == 46);
    CHECK(store.snapshot().size() == 50);
    CHECK(get(port, "/v1/orders").size() == 50);
  }

  TEST_CASE("a tombstone cannot be served over a field of the same name") {
    tsync::mock::RecordSchema schema;
    schema.fields = {{"deleted", FieldKind::Bool}};
    RecordStore store(schema, 10, 1);
    REQUIRE_THROWS_WITH(store.remove(1, Tombstone::Flag),
                        "a tombstone cannot be served: the records already have a field "
                        "\"deleted\"");
    CHECK(store.size() == 10);
    CHECK(store.remove(1, Tombstone::At).size() == 1);
  }

  TEST_CASE("restore serves removed records again as new versions, tombstones gone") {
    SUBCASE("users") {
      Options options;
      options.users = 30;
      MockApi api(options);
      const int port = api.start();
      UserStore& store = api.store();
      auto removed = store.remove(3, Tombstone::Flag);
      const auto plain = store.remove(2);
      removed.insert(removed.end(), plain.begin(), plain.end());
      const std::string newest = fetch(api, port).updated.back();
      store.restore(removed);
      CHECK(store.size() == 30);
      const Page page = fetch(api, port, newest);
      REQUIRE(page.ids.size() == 5);
      CHECK(std::set<std::string>(page.ids.begin(), page.ids.end()) ==
            std::set<std::string>(removed.begin(), removed.end()));
      CHECK(page.body.find("deleted") == std::string::npos);
      for (const auto& t : page.updated) CHECK(instant(t) > instant(newest));
      const Page all = fetch(api, port);
      CHECK(all.ids.size() == 30);
      CHECK(all.ids == ids_of(store.snapshot()));
      // Restoring what is not removed changes nothing.
      store.restore({removed[0], "no-such-id"});
      CHECK(fetch(api, port).body == all.body);
    }
    SUBCASE("generic records") {
      RecordStore store(every_kind_spec(0).schema, 40, 3);
      const auto removed = store.remove(5, Tombstone::At);
      const tsync::Instant latest = store.latest();
      store.restore(removed);
      CHECK(store.size() == 40);
      const auto after = store.snapshot();
      CHECK(after.size() == 40);
      std::size_t newer = 0;
      for (const auto& r : after) {
        CHECK_FALSE(r.tombstone);
        CHECK(r.json.find("deletedAt") == std::string::npos);
        if (r.updated > latest) {
          ++newer;
          CHECK(std::count(removed.begin(), removed.end(), r.id) == 1);
        }
      }
      CHECK(newer == 5);
    }
  }

  TEST_CASE("removals and restores are deterministic from the seed and the calls") {
    UserStore a(300, 12), b(300, 12);
    RecordStore c(every_kind_spec(0).schema, 300, 12), d(every_kind_spec(0).schema, 300, 12);
    std::vector<std::string> removed_a, removed_b;
    for (UserStore* store : {&a, &b}) {
      auto& removed = store == &a ? removed_a : removed_b;
      removed = store->remove(20, Tombstone::Flag);
      store->remove(10, Tombstone::At);
      store->mutate(30, 5);
      store->restore({removed.begin(), removed.begin() + 10});
      store->remove(5);
    }
    CHECK(removed_a == removed_b);
    const auto catalog_a = a.catalog(), catalog_b = b.catalog();
    REQUIRE(catalog_a->size() == catalog_b->size());
    for (std::size_t i = 0; i < catalog_a->size(); ++i)
      CHECK(catalog_a->text(i) == catalog_b->text(i));
    CHECK(a.size() == 300 - 20 - 10 + 5 + 10 - 5);
    for (RecordStore* store : {&c, &d}) {
      const auto removed = store->remove(20, Tombstone::At);
      store->remove(10, Tombstone::Flag);
      store->mutate(30, 5);
      store->restore({removed.begin(), removed.begin() + 10});
      store->remove(5);
    }
    CHECK(joined(c.snapshot()) == joined(d.snapshot()));
    CHECK(c.size() == 300 - 20 - 10 + 5 + 10 - 5);
  }

  TEST_CASE("touch gives exactly the named records new versions after every cursor so far") {
    SUBCASE("generic records") {
      RecordStore store(every_kind_spec(0).schema, 50, 4);
      const auto before = store.snapshot();
      const tsync::Instant latest = store.latest();
      store.touch({before[7].id, "no such id", before[3].id, before[7].id});
      const auto after = store.snapshot();
      REQUIRE(after.size() == 50);
      CHECK(std::set<std::string>{after[48].id, after[49].id} ==
            std::set<std::string>{before[7].id, before[3].id});
      CHECK(after[48].updated > latest);
      for (std::size_t i = 0; i < 48; ++i) {
        CHECK(after[i].updated <= latest);
        CHECK(after[i].json == before[i < 3 ? i : i < 6 ? i + 1 : i + 2].json);
      }
      for (const auto& r : after)
        if (r.id == before[7].id) CHECK(r.json != before[7].json);
      const auto removed = store.remove(1);
      store.touch(removed);  // a removed record is not served again
      CHECK(store.snapshot().size() == 49);
      CHECK(store.record_index(before[3].id) == std::optional<std::uint32_t>(3));
      CHECK_FALSE(store.record_index("nope"));
    }
    SUBCASE("composite keys by account_id/id") {
      tsync::mock::RecordSchema schema;
      schema.key = KeyKind::Composite;
      RecordStore store(schema, 20, 4);
      const auto before = store.snapshot();
      const std::string key = std::to_string(*before[2].account_id) + "/" + before[2].id;
      store.touch({key});
      const auto after = store.snapshot();
      CHECK(after.back().id == before[2].id);
      CHECK(after.back().account_id == before[2].account_id);
    }
    SUBCASE("users") {
      UserStore store(40, 8);
      const auto before = store.snapshot();
      store.touch({before[5].id, before[0].id, "unknown"});
      const auto after = store.snapshot();
      REQUIRE(after.size() == 40);
      CHECK(std::set<std::string>{after[38].id, after[39].id} ==
            std::set<std::string>{before[5].id, before[0].id});
      CHECK(after[38].updated > before.back().updated);
      for (const auto& u : after)
        if (u.id == before[5].id) CHECK(u.job != before[5].job);
      UserStore twin(40, 8);
      twin.touch({before[5].id, before[0].id});
      CHECK(ids_of(twin.snapshot()) == ids_of(after));
      CHECK(store.record_index(before[5].id).has_value());
    }
  }
}
