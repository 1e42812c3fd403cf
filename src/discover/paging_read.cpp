// SPDX-License-Identifier: Apache-2.0
#include "discover/paging_read.hpp"

#include <array>
#include <cctype>

#include "source/url.hpp"

namespace tsync {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

void walk_strings(const rapidjson::Value& v, const rapidjson::Value* skip, int depth,
                  std::vector<std::string>& out) {
  if (&v == skip || depth > 4) return;
  if (looks_like_url(v)) out.emplace_back(v.GetString(), v.GetStringLength());
  if (v.IsObject())
    for (const auto& m : v.GetObject()) walk_strings(m.value, skip, depth + 1, out);
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The query parameter a token is sent in, from a URL of the answer that
// carries it; else from the token key's name.
std::pair<std::string, Sureness> token_param(const std::string& key, const std::string& token,
                                             const std::vector<std::string>& urls) {
  if (!token.empty())
    for (const std::string& url : urls)
      for (const auto& [name, value] : split_query(url).params) {
        std::string encoded;
        append_url_encoded(encoded, value);
        if (value == token || encoded == token) return {name, Sureness::Sure};
      }
  if (key == "nextPageToken" || key == "pageToken") return {"pageToken", Sureness::Likely};
  if (key == "next_page_token" || key == "page_token") return {"page_token", Sureness::Likely};
  if (key == "after_cursor" || key == "next_cursor" || key == "nextCursor" || key == "cursor")
    return {"cursor", Sureness::Guessed};
  return {key, Sureness::Guessed};
}

// Query names of a page size, best first.
constexpr std::array<std::string_view, 8> kSizeParams = {
    "per_page", "page_size", "pageSize", "limit", "size", "_limit", "_per_page", "perPage"};


}  // namespace

std::vector<std::string> next_urls(const Response& response, const rapidjson::Value& root,
                                   const rapidjson::Value* records) {
  std::vector<std::string> out;
  if (const std::string* link = header(response, "link")) {
    try {
      if (const auto next = next_link(*link)) out.push_back(resolve_url(response.url, *next));
    } catch (const std::exception&) {
      // A malformed Link says nothing of the since parameter.
    }
  }
  std::vector<std::string> found;
  walk_strings(root, records, 0, found);
  for (const std::string& url : found) {
    try {
      out.push_back(resolve_url(response.url, url));
    } catch (const std::exception&) {
      // Not a URL after all.
    }
  }
  return out;
}

const std::string* header(const Response& response, std::string_view name) {
  for (const auto& [key, value] : response.headers)
    if (lower(key) == name) return &value;
  return nullptr;
}

std::optional<std::string> param(const Params& params, std::string_view name) {
  for (const auto& [key, value] : params)
    if (key == name) return value;
  return std::nullopt;
}

std::optional<std::pair<std::string, long long>> size_in_query(const Params& query) {
  for (const std::string_view name : kSizeParams)
    if (const auto v = param(query, name))
      if (const auto n = whole_number(*v)) return std::pair{std::string(name), *n};
  return std::nullopt;
}

PagingRead read_paging(const Response& response, const Params& query, const rapidjson::Value& root,
                       const rapidjson::Value* records, const std::optional<JsonPath>& records_path) {
  PagingRead r;
  Pagination& pg = r.pagination;
  if (const std::string* link = header(response, "link")) {
    pg.type = PagingType::LinkHeader;
    std::optional<std::string> next;
    try {
      next = next_link(*link);
    } catch (const std::exception&) {
    }
    r.sureness = next ? Sureness::Sure : Sureness::Likely;
    r.seen = next ? "a Link header with rel=\"next\""
                  : link->empty() ? "a Link header with nothing in it (an answer of one page)"
                                  : "a Link header without rel=\"next\" (the last page)";
    return r;
  }
  if (!root.IsObject()) return r;
  const std::vector<std::string> urls = next_urls(response, root, records);
  // The object that holds the records, where an API puts its paging beside them.
  std::vector<const rapidjson::Value*> levels{&root};
  if (records_path && records_path->size() > 1) {
    JsonPath parent(records_path->begin(), records_path->end() - 1);
    if (const auto* v = value_at(root, parent); v && v->IsObject()) levels.push_back(v);
  }
  std::string name;
  // A next URL in the body.
  const std::vector<JsonPath> url_paths = {
      {"@odata.nextLink"}, {"next_page_url"}, {"nextPageUrl"}, {"next_url"},    {"nextUrl"},
      {"nextLink"},        {"next_page"},     {"next"},        {"links", "next"}, {"_links", "next", "href"},
      {"pagination", "next_url"}, {"meta", "next"}, {"paging", "next"}};
  for (const JsonPath& path : url_paths) {
    const rapidjson::Value* v = value_at(root, path);
    if (!v) continue;
    const bool url = looks_like_url(*v);
    const bool known_null = v->IsNull() && path.front() != "next" && path.front() != "paging";
    if (!url && !known_null) continue;
    pg.type = PagingType::NextUrl;
    pg.path = path;
    r.sureness = url ? Sureness::Sure : Sureness::Likely;
    r.seen = url ? "a next URL at " + describe_path(path)
                 : describe_path(path) + " is null (the last page)";
    return r;
  }
  // json-server 1.0: {first, prev, next, last, pages, items, data}.
  if (root.HasMember("first") && root.HasMember("last") && root.HasMember("pages") &&
      root.HasMember("items")) {
    pg.type = PagingType::Page;
    pg.param = "_page";
    pg.size_param = "_per_page";
    pg.size = param(query, "_per_page") ? whole_number(*param(query, "_per_page")).value_or(10) : 10;
    pg.first = 1;
    pg.total_pages_path = {"pages"};
    r.sureness = Sureness::Sure;
    r.seen = "first, next, last, pages and items beside the records (json-server 1.0)";
    r.owned_params = {"_page", "_per_page"};
    return r;
  }
  // A token.
  const std::vector<JsonPath> token_paths = {
      {"paging", "next", "after"}, {"scroll_param"}, {"after_cursor"}, {"next_cursor"},
      {"nextCursor"},              {"nextPageToken"}, {"next_page_token"}, {"nextToken"},
      {"next_token"},              {"continuationToken"}, {"cursor"}, {"meta", "next_cursor"},
      {"meta", "after_cursor"},    {"response_metadata", "next_cursor"}, {"pagination", "next_cursor"}};
  for (const JsonPath& path : token_paths) {
    const rapidjson::Value* v = value_at(root, path);
    if (!v || !(v->IsString() || v->IsNull())) continue;
    const std::string token = v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : "";
    const auto [sent_as, sureness] = token_param(path.back(), token, urls);
    pg.type = PagingType::Token;
    pg.path = path;
    pg.param = sent_as;
    pg.repeat_since = !(path.back() == "scroll_param" || path.back() == "after_cursor");
    const JsonPath parent(path.begin(), path.end() - 1);
    if (const auto* level = value_at(root, parent)) {
      std::string more;
      if (const auto* hm = member(*level, {"has_more", "hasMore", "more"}, more); hm && hm->IsBool()) {
        pg.has_more_path = parent;
        pg.has_more_path.push_back(more);
      }
    }
    r.sureness = sureness == Sureness::Sure ? Sureness::Sure : Sureness::Likely;
    r.seen = "a token at " + describe_path(path) +
             (sureness == Sureness::Sure ? ", sent as " + sent_as + " in the answer's next URL"
                                         : ", sent as " + sent_as + " (a guess from its name)");
    r.owned_params = {sent_as};
    return r;
  }
  // has_more beside records with ids: Stripe's list.
  for (const rapidjson::Value* level : levels) {
    const rapidjson::Value* more = member(*level, {"has_more", "hasMore"}, name);
    if (!more || !more->IsBool()) continue;
    if (!records || records->Empty() || !(*records)[0].HasMember("id")) continue;
    pg.type = PagingType::LastRecord;
    pg.field = "id";
    pg.param = "starting_after";
    pg.has_more_path = level == &root ? JsonPath{} : JsonPath(records_path->begin(),
                                                              records_path->end() - 1);
    pg.has_more_path.push_back(name);
    const auto* object = member(root, {"object"}, name);
    r.sureness = object && object->IsString() && std::string_view(object->GetString()) == "list"
                     ? Sureness::Sure
                     : Sureness::Likely;
    r.seen = describe_path(pg.has_more_path) +
             " beside records with ids: the next page starts after the last id (Stripe's "
             "starting_after)";
    r.owned_params = {"starting_after"};
    return r;
  }
  // An offset.
  for (const rapidjson::Value* level : levels) {
    const rapidjson::Value* offset = member(*level, {"offset", "skip", "start"}, name);
    if (!offset || !offset->IsInt64()) continue;
    pg.type = PagingType::Offset;
    pg.param = name;
    std::string limit_name;
    const rapidjson::Value* limit = member(*level, {"limit", "count", "per_page", "take"}, limit_name);
    const auto in_query = size_in_query(query);
    pg.limit_param = in_query ? in_query->first : limit ? limit_name : "limit";
    pg.limit = in_query ? in_query->second
               : number_of(limit) ? *number_of(limit)
               : records ? std::max<long long>(records->Size(), 1)
                         : 100;
    std::string total_name;
    if (member(*level, {"total", "total_count", "totalCount", "total_items", "totalItems"},
               total_name)) {
      pg.total_path = level == &root ? JsonPath{}
                                     : JsonPath(records_path->begin(), records_path->end() - 1);
      pg.total_path.push_back(total_name);
    }
    r.sureness = Sureness::Likely;
    r.seen = json_quoted(name) + " and " + (limit ? json_quoted(limit_name) : std::string("a page size")) +
             " beside the records";
    r.owned_params = {pg.param, pg.limit_param};
    return r;
  }
  // A page number.
  for (const rapidjson::Value* level : levels) {
    std::string pages_name;
    const rapidjson::Value* pages =
        member(*level, {"total_pages", "totalPages", "last_page", "lastPage", "page_count", "pageCount"},
               pages_name);
    const rapidjson::Value* page = member(*level, {"page", "current_page", "currentPage", "page_number"}, name);
    if (!pages || !number_of(pages) || !page || !number_of(page)) continue;
    pg.type = PagingType::Page;
    pg.param = param(query, "page") || name != "current_page" ? "page" : name;
    pg.first = 1;
    pg.total_pages_path = level == &root ? JsonPath{}
                                         : JsonPath(records_path->begin(), records_path->end() - 1);
    pg.total_pages_path.push_back(pages_name);
    std::string size_name;
    const rapidjson::Value* size =
        member(*level, {"per_page", "page_size", "pageSize", "perPage", "limit", "size"}, size_name);
    const auto in_query = size_in_query(query);
    r.sureness = Sureness::Likely;
    if (in_query) {
      pg.size_param = in_query->first;
      pg.size = in_query->second;
    } else {
      pg.size_param = size_name == "page_size" || !size ? "per_page" : size_name;
      pg.size = number_of(size).value_or(records ? std::max<long long>(records->Size(), 1) : 100);
    }
    r.seen = json_quoted(name) + " and " + json_quoted(pages_name) + " beside the records";
    if (!in_query) r.sureness = Sureness::Guessed;
    if (!in_query)
      r.seen += "; the page size parameter is a guess (" + pg.size_param +
                "): the request did not name one";
    r.owned_params = {pg.param, pg.size_param};
    return r;
  }
  return r;
}

// The page sizes APIs answer by default.
bool round_count(std::int64_t n) {
  for (const std::int64_t size : {10, 20, 25, 30, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000})
    if (n == size) return true;
  return false;
}

}  // namespace tsync
