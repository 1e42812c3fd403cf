// SPDX-License-Identifier: Apache-2.0
#include "config/pagination.hpp"

#include <vector>

#include "common/errors.hpp"
#include "config/checker.hpp"

namespace tsync::config_detail {
namespace {

// The paging types, and the keys each takes.
std::span<const TypeKeys<PagingType>> paging_types() {
  static const TypeKeys<PagingType> kTypes[] = {
      {"link_header", PagingType::LinkHeader, {}, {}},
      {"next_url", PagingType::NextUrl, {"path"}, {}},
      {"token", PagingType::Token, {"path", "param"}, {"has_more_path", "repeat_since"}},
      {"last_record",
       PagingType::LastRecord,
       {"field", "param"},
       {"has_more_path", "repeat_since"}},
      {"offset",
       PagingType::Offset,
       {"param", "limit_param", "limit"},
       {"total_path", "repeat_since"}},
      {"page",
       PagingType::Page,
       {"param", "size_param", "size"},
       {"first", "total_pages_path", "repeat_since"}},
      {"since", PagingType::Since, {}, {}}};
  return kTypes;
}

// The values of the keys the type took, checked against each other.
void read_paging_values(const Checker& c, Pagination& p) {
  if (c.find("path")) p.path = read_json_path(c, "path");
  if (c.find("has_more_path")) p.has_more_path = read_json_path(c, "has_more_path");
  if (c.find("total_path")) p.total_path = read_json_path(c, "total_path");
  if (c.find("total_pages_path")) p.total_pages_path = read_json_path(c, "total_pages_path");
  if (auto v = c.text("param")) p.param = *v;
  if (auto v = c.text("field")) p.field = *v;
  if (auto v = c.text("limit_param")) p.limit_param = *v;
  if (auto v = c.text("size_param")) p.size_param = *v;
  if (auto n = c.whole("limit", 1, 1000000)) p.limit = *n;
  if (auto n = c.whole("size", 1, 1000000)) p.size = *n;
  if (auto n = c.whole("first", 0, 1)) p.first = *n;
  if (const rapidjson::Value* r = c.find("repeat_since")) {
    if (!r->IsBool()) c.fail("repeat_since", "must be true or false");
    p.repeat_since = r->GetBool();
  }
  if (!p.limit_param.empty() && p.limit_param == p.param)
    c.fail("limit_param", "must differ from param");
  if (!p.size_param.empty() && p.size_param == p.param)
    c.fail("size_param", "must differ from param");
}

}  // namespace

Pagination read_pagination(const rapidjson::Value& v, const std::string& where, bool bare_array) {
  const std::string at = where + ": pagination";
  Pagination p;
  p.type = read_type(v, at, kPaginationKeys, paging_types(), "a paging type").type;
  const Checker c(v, at);
  const bool in_body = p.type == PagingType::NextUrl || p.type == PagingType::Token ||
                       c.find("has_more_path") || c.find("total_path") ||
                       c.find("total_pages_path");
  if (in_body && bare_array)
    throw ConfigError(at +
                      ": the records are a bare array (records_path \"\"), so the body "
                      "has no other value to read the next page from");
  read_paging_values(c, p);
  return p;
}

}  // namespace tsync::config_detail
