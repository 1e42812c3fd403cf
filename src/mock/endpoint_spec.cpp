// SPDX-License-Identifier: Apache-2.0
#include "mock/endpoint_spec.hpp"

#include <array>
#include <stdexcept>
#include <utility>
#include <vector>

namespace tsync::mock {
namespace {

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

[[noreturn]] void fail(std::string_view key, const std::string& problem) {
  throw std::invalid_argument(std::string(key) + ": " + problem);
}

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::uint64_t whole_number(std::string_view key, std::string_view value) {
  if (value.empty() || value.size() > 18 ||
      value.find_first_not_of("0123456789") != std::string_view::npos)
    fail(key, quoted(value) + " is not a whole number");
  std::uint64_t n = 0;
  for (const char c : value) n = n * 10 + static_cast<std::uint64_t>(c - '0');
  return n;
}

// Splits "name:value" at its first (or, with `last`, last) colon.
std::pair<std::string, std::string> name_and_value(std::string_view key, std::string_view item,
                                                   bool last) {
  const std::size_t colon = last ? item.rfind(':') : item.find(':');
  if (colon == std::string_view::npos || colon == 0) fail(key, quoted(item) + " is not name:value");
  return {std::string(item.substr(0, colon)), std::string(item.substr(colon + 1))};
}

bool boolean(std::string_view key, std::string_view value) {
  if (value != "true" && value != "false") fail(key, quoted(value) + " is not true or false");
  return value == "true";
}

constexpr std::array<std::pair<PagingStyle, std::string_view>, 9> kPagingNames{
    {{PagingStyle::None, "none"},
     {PagingStyle::LinkHeader, "link_header"},
     {PagingStyle::NextUrl, "next_url"},
     {PagingStyle::Token, "token"},
     {PagingStyle::LastRecord, "last_record"},
     {PagingStyle::Offset, "offset"},
     {PagingStyle::PageNumber, "page_number"},
     {PagingStyle::Keyset, "keyset"},
     {PagingStyle::JsonServer, "json_server"}}};
constexpr std::array<std::pair<AuthRequirement::Kind, std::string_view>, 6> kAuthNames{
    {{AuthRequirement::Kind::None, "none"},
     {AuthRequirement::Kind::Bearer, "bearer"},
     {AuthRequirement::Kind::Basic, "basic"},
     {AuthRequirement::Kind::ApiKey, "api_key"},
     {AuthRequirement::Kind::Session, "session"},
     {AuthRequirement::Kind::OAuth2, "oauth2"}}};
constexpr std::array<std::pair<Order, std::string_view>, 3> kOrderNames{
    {{Order::Ascending, "ascending"},
     {Order::NewestFirst, "newest_first"},
     {Order::ByKey, "by_key"}}};

template <typename Enum, std::size_t N>
std::string_view name_of(const std::array<std::pair<Enum, std::string_view>, N>& names,
                         Enum value) {
  for (const auto& [v, text] : names)
    if (v == value) return text;
  return "?";
}

template <typename Enum, std::size_t N>
std::optional<Enum> value_of(const std::array<std::pair<Enum, std::string_view>, N>& names,
                             std::string_view name) {
  for (const auto& [v, text] : names)
    if (text == name) return v;
  return std::nullopt;
}

}  // namespace

std::string_view paging_style_name(PagingStyle style) { return name_of(kPagingNames, style); }

std::optional<PagingStyle> paging_style_from_name(std::string_view name) {
  return value_of(kPagingNames, name);
}

std::string_view order_name(Order order) { return name_of(kOrderNames, order); }

std::optional<Order> order_from_name(std::string_view name) { return value_of(kOrderNames, name); }

std::string_view auth_kind_name(AuthRequirement::Kind kind) { return name_of(kAuthNames, kind); }

const char* const kAuthSpecHelp =
    "none | basic:USER:PASSWORD | bearer:TOKEN | api_key:header:NAME:PREFIX:KEY |\n"
    "api_key:query:NAME:PREFIX:KEY | session:USER:PASSWORD[:PREFIX] | oauth2\n"
    "(':' separates the parts; PREFIX may be empty, as in api_key:query:api_key::KEY;\n"
    "a session's PREFIX defaults to \"Token \"; oauth2 takes the --oauth-* settings)";

AuthRequirement parse_auth_spec(std::string_view text) {
  using Kind = AuthRequirement::Kind;
  AuthRequirement auth;
  const std::size_t colon = text.find(':');
  const std::string_view kind_name = text.substr(0, colon);
  const std::string_view rest =
      colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
  const auto kind = value_of(kAuthNames, kind_name);
  if (!kind)
    throw std::invalid_argument(quoted(kind_name) +
                                " is not none, basic, bearer, api_key, session or oauth2");
  auth.kind = *kind;
  // The parts of `rest`: the first `count` - 1 at each colon, the last the rest.
  const auto parts = [&](std::size_t count) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (out.size() + 1 < count) {
      const std::size_t end = rest.find(':', start);
      if (end == std::string_view::npos) break;
      out.emplace_back(rest.substr(start, end - start));
      start = end + 1;
    }
    if (colon != std::string_view::npos) out.emplace_back(rest.substr(start));
    return out;
  };
  const auto form = [&](const char* expected) {
    return std::invalid_argument(std::string(kind_name) + " needs the form " + expected);
  };
  switch (auth.kind) {
    case Kind::None:
    case Kind::OAuth2:
      if (colon != std::string_view::npos)
        throw std::invalid_argument(std::string(kind_name) + " takes no parts after it");
      break;
    case Kind::Basic: {
      const auto p = parts(2);
      if (p.size() != 2 || p[0].empty() || p[1].empty()) throw form("basic:USER:PASSWORD");
      auth.username = p[0];
      auth.password = p[1];
      break;
    }
    case Kind::Bearer:
      if (rest.empty()) throw form("bearer:TOKEN");
      auth.secret = std::string(rest);
      break;
    case Kind::ApiKey: {
      const auto p = parts(4);
      if (p.size() != 4 || (p[0] != "header" && p[0] != "query") || p[1].empty() || p[3].empty())
        throw form("api_key:header:NAME:PREFIX:KEY or api_key:query:NAME:PREFIX:KEY");
      auth.in_query = p[0] == "query";
      auth.name = p[1];
      auth.prefix = p[2];
      auth.secret = p[3];
      break;
    }
    case Kind::Session: {
      const auto p = parts(3);
      if (p.size() < 2 || p[0].empty() || p[1].empty())
        throw form("session:USER:PASSWORD[:PREFIX]");
      auth.username = p[0];
      auth.password = p[1];
      auth.prefix = p.size() == 3 ? p[2] : "Token ";
      break;
    }
  }
  return auth;
}

void check_auth(const AuthRequirement& auth) {
  using Kind = AuthRequirement::Kind;
  const std::string kind(auth_kind_name(auth.kind));
  switch (auth.kind) {
    case Kind::Basic:
    case Kind::Session:
      if (auth.username.empty() || auth.username.find(':') != std::string::npos)
        fail("auth", kind + " needs a username without ':'");
      if (auth.kind == Kind::Session && auth.name.empty())
        fail("auth", "session needs the name of the header of its token");
      break;
    case Kind::Bearer:
      if (auth.secret.empty()) fail("auth", "bearer needs a token");
      break;
    case Kind::ApiKey:
      if (auth.secret.empty()) fail("auth", "api_key needs a key");
      if (auth.name.empty())
        fail("auth", std::string("api_key needs the name of its ") +
                         (auth.in_query ? "query parameter" : "header"));
      break;
    case Kind::None:
    case Kind::OAuth2:
      break;
  }
}

PageLimits page_limits(PagingStyle style) {
  switch (style) {
    case PagingStyle::LinkHeader:
      return {30, 100};
    case PagingStyle::Token:
    case PagingStyle::LastRecord:
      return {10, 100};
    case PagingStyle::NextUrl:
    case PagingStyle::Offset:
    case PagingStyle::PageNumber:
      return {10, 50};
    case PagingStyle::Keyset:
      return {50, 0};
    case PagingStyle::JsonServer:
      return {10, 0};
    case PagingStyle::None:
      break;
  }
  return {0, 0};
}

void check_serving(const ServingOptions& serving, const std::string& records_path,
                   const std::string& since_param) {
  const bool body_style = serving.paging != PagingStyle::None &&
                          serving.paging != PagingStyle::LinkHeader &&
                          serving.paging != PagingStyle::JsonServer;
  if (body_style && records_path.empty())
    fail("records_path",
         "must not be empty with paging=" + std::string(paging_style_name(serving.paging)) +
             " (its paging fields are in the body object)");
  if (serving.paging == PagingStyle::JsonServer && !records_path.empty())
    fail("records_path",
         "must be empty with paging=json_server (json-server answers a bare "
         "array)");
  if (serving.paging == PagingStyle::Keyset && serving.order != Order::Ascending)
    fail("order", quoted(order_name(serving.order)) +
                      " cannot page with keyset (it pages in ascending order only)");
  if (serving.paging == PagingStyle::NextUrl && serving.next_field.empty())
    fail("next_field", "must not be empty");
  const std::string& origin = serving.next_origin;
  if (!origin.empty() && (origin.rfind("http://", 0) != 0 || origin.size() <= 7 ||
                          origin.find_first_of("/?# ", 7) != std::string::npos))
    fail("next_origin", quoted(origin) + " is not an origin such as http://127.0.0.2:8080");
  if (!serving.until_param.empty() && serving.until_param == since_param)
    fail("until_param", quoted(serving.until_param) + " is the since parameter too");
  if (serving.max_range_seconds < 0) fail("max_range_seconds", "must not be negative");
  if (serving.max_range_seconds > 0 && serving.until_param.empty())
    fail("max_range_seconds", "needs until_param (a range has two ends)");
  if (serving.max_range_seconds > 0 && since_param.empty())
    fail("max_range_seconds", "needs since_param (a range has two ends)");
}

const char* const kEndpointSpecHelp =
    "Serves one more endpoint of generated records (repeatable). SPEC is comma-separated\n"
    "key=value pairs; only path is required:\n"
    "  path=/v1/orders           where it is served\n"
    "  records=1000 seed=1       how many records, generated from which seed\n"
    "  key=uuid|integer|composite  \"id\" a UUID-like string or 1, 2, ...; composite:\n"
    "                            \"account_id\" and \"id\", integers unique only together\n"
    "  cursor_field=updatedAt    the cursor's field name\n"
    "  cursor_format=iso8601|unix_seconds|unix_millis\n"
    "  since_param=since         the query parameter read as the cursor\n"
    "  records_path=data         dotted path of the records array (data, results,\n"
    "                            result.items); empty: the body is the array\n"
    "  require=name:value;...    parameters every request must carry (else 400)\n"
    "  fields=name:kind;...      extra fields; kinds: string integer bigint float bool\n"
    "                            null object array numeric_string\n"
    "  page_size=0 since_mode=exclusive|inclusive|ignored unsorted=false rate=0\n"
    "  paging=none|link_header|next_url|token|last_record|offset|page_number|keyset|\n"
    "         json_server        how it pages, shaped like GitHub (link_header), Fivetran\n"
    "                            and Graph (next_url, offset, page_number, keyset),\n"
    "                            HubSpot (token), Stripe (last_record) and json-server\n"
    "                            0.17.4 (json_server: _page, _limit, _sort, _order, a\n"
    "                            bare array, an empty Link on one page; with\n"
    "                            since_param=updatedAt_gte,since_mode=inclusive as its\n"
    "                            filter); page_size is then the default page size\n"
    "  order=ascending|newest_first|by_key  the order records are paged in\n"
    "  max_page_size=0           the largest page a request may ask for (0: the API's)\n"
    "  strict=false              400 for a query parameter the endpoint does not know\n"
    "  latency_ms=0              slept before every data response\n"
    "  repeat=false              a looping API: the next page is the one just served\n"
    "  next_field=next_page_url  the body key of the next URL (@odata.nextLink: Graph)\n"
    "  next_origin=http://H:P    the origin of next links and URLs (default: its own)\n"
    "  relative_next=false       next links and URLs as /path?query\n"
    "  since_param=              (empty) no updated filter, as with Stripe\n"
    "  until_param=              the query parameter of the end: records before it only\n"
    "  max_range_seconds=0       > 0: since and until required, at most this far apart\n"
    "  auth=none                 what a request must carry (else 401), one of\n"
    "                            basic:USER:PASSWORD bearer:TOKEN\n"
    "                            api_key:header:NAME:PREFIX:KEY api_key:query:NAME:PREFIX:KEY\n"
    "                            session:USER:PASSWORD[:PREFIX] oauth2 (as --auth)\n"
    "Example: path=/v1/orders,records=1000,key=composite,cursor_field=updated_at,\n"
    "  cursor_format=unix_millis,since_param=updated_since,records_path=results,\n"
    "  require=api_version:2,fields=amount:float;qty:integer;tags:array";

EndpointSpec parse_endpoint_spec(std::string_view text) {
  EndpointSpec spec;
  bool has_path = false;
  if (text.empty()) throw std::invalid_argument("empty endpoint spec (needs at least path=/...)");
  for (const std::string_view pair : split(text, ',')) {
    const std::size_t equals = pair.find('=');
    if (equals == std::string_view::npos)
      throw std::invalid_argument(quoted(pair) + " is not key=value");
    const std::string_view key = pair.substr(0, equals);
    const std::string_view value = pair.substr(equals + 1);
    if (key == "path") {
      spec.path = std::string(value);
      has_path = true;
    } else if (key == "records") {
      spec.records = whole_number(key, value);
    } else if (key == "seed") {
      spec.seed = whole_number(key, value);
    } else if (key == "key") {
      const auto kind = key_kind_from_name(value);
      if (!kind) fail(key, quoted(value) + " is not uuid, integer or composite");
      spec.schema.key = *kind;
    } else if (key == "cursor_field") {
      if (value.empty()) fail(key, "must not be empty");
      spec.schema.cursor_field = std::string(value);
    } else if (key == "cursor_format") {
      const auto format = cursor_format_from_name(value);
      if (!format) fail(key, quoted(value) + " is not iso8601, unix_seconds or unix_millis");
      spec.schema.cursor_format = *format;
    } else if (key == "since_param") {
      spec.since_param = std::string(value);
    } else if (key == "records_path") {
      spec.records_path = std::string(value);
    } else if (key == "require") {
      for (const std::string_view item : split(value, ';'))
        spec.required_params.insert(name_and_value(key, item, false));
    } else if (key == "fields") {
      for (const std::string_view item : split(value, ';')) {
        auto [name, kind_name] = name_and_value(key, item, true);
        const auto kind = field_kind_from_name(kind_name);
        if (!kind)
          fail(key, "unknown kind " + quoted(kind_name) +
                        " (string, integer, bigint, float, bool, null, object, array, "
                        "numeric_string)");
        spec.schema.fields.push_back({std::move(name), *kind});
      }
    } else if (key == "page_size") {
      spec.serving.page_size = whole_number(key, value);
    } else if (key == "since_mode") {
      if (value == "exclusive") {
        spec.serving.since_mode = SinceMode::Exclusive;
      } else if (value == "inclusive") {
        spec.serving.since_mode = SinceMode::Inclusive;
      } else if (value == "ignored") {
        spec.serving.since_mode = SinceMode::Ignored;
      } else {
        fail(key, quoted(value) + " is not exclusive, inclusive or ignored");
      }
    } else if (key == "unsorted") {
      spec.serving.unsorted = boolean(key, value);
    } else if (key == "rate") {
      spec.serving.rate_limit_bytes_per_second = whole_number(key, value);
    } else if (key == "paging") {
      const auto style = paging_style_from_name(value);
      if (!style)
        fail(key, quoted(value) +
                      " is not none, link_header, next_url, token, last_record, offset, "
                      "page_number, keyset or json_server");
      spec.serving.paging = *style;
    } else if (key == "order") {
      const auto order = order_from_name(value);
      if (!order) fail(key, quoted(value) + " is not ascending, newest_first or by_key");
      spec.serving.order = *order;
    } else if (key == "strict") {
      spec.serving.strict = boolean(key, value);
    } else if (key == "repeat") {
      spec.serving.repeat = boolean(key, value);
    } else if (key == "relative_next") {
      spec.serving.relative_next = boolean(key, value);
    } else if (key == "latency_ms") {
      spec.serving.latency =
          std::chrono::milliseconds(static_cast<std::int64_t>(whole_number(key, value)));
    } else if (key == "max_page_size") {
      spec.serving.max_page_size = whole_number(key, value);
    } else if (key == "next_field") {
      if (value.empty()) fail(key, "must not be empty");
      spec.serving.next_field = std::string(value);
    } else if (key == "next_origin") {
      spec.serving.next_origin = std::string(value);
    } else if (key == "until_param") {
      spec.serving.until_param = std::string(value);
    } else if (key == "max_range_seconds") {
      spec.serving.max_range_seconds = static_cast<std::int64_t>(whole_number(key, value));
    } else if (key == "auth") {
      try {
        spec.auth = parse_auth_spec(value);
      } catch (const std::invalid_argument& e) {
        fail(key, e.what());
      }
    } else {
      throw std::invalid_argument("unknown key " + quoted(key) +
                                  " (see --help for the keys of --endpoint)");
    }
  }
  if (!has_path) throw std::invalid_argument("path: missing (e.g. path=/v1/orders)");
  check_endpoint_spec(spec);
  return spec;
}

void check_endpoint_spec(const EndpointSpec& spec) {
  if (spec.path.size() < 2 || spec.path.front() != '/' ||
      spec.path.find_first_of("?# ") != std::string::npos)
    fail("path", quoted(spec.path) + " is not a path such as /v1/orders");
  if (spec.path == kUsersPath || spec.path.rfind("/admin/", 0) == 0)
    fail("path", quoted(spec.path) + " is taken by the users or admin endpoints");
  if (spec.path == kLoginPath || spec.path == kTokenPath)
    fail("path", quoted(spec.path) + " is taken by the sign-in endpoints");
  if (!spec.records_path.empty())
    for (const std::string_view name : split(spec.records_path, '.'))
      if (name.empty()) fail("records_path", quoted(spec.records_path) + " has an empty name");
  check_serving(spec.serving, spec.records_path, spec.since_param);
  check_auth(spec.auth);
}

}  // namespace tsync::mock
