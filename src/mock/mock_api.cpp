// SPDX-License-Identifier: Apache-2.0
#include "mock/mock_api.hpp"

#include <httplib.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <numeric>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "mock/auth.hpp"
#include "mock/load_meter.hpp"
#include "mock/paging.hpp"

#include <sys/socket.h>

namespace tsync::mock {
namespace {

constexpr std::size_t kSliceBytes = std::size_t{256} * 1024;
// With a charset, as many real APIs send it; cpp-httplib then also leaves the
// body uncompressed, so a fault's byte count is a count of body bytes.
constexpr const char* kJsonType = "application/json; charset=utf-8";

// Which catalog records one response serves, and in which order.
struct Selection {
  std::shared_ptr<const Catalog> catalog;
  std::string prefix, suffix;      // the body around the records' array
  std::size_t begin = 0, end = 0;  // a range of the catalog, in serving order...
  std::vector<std::uint32_t>
      indices;  // ...or these catalog indices (then begin 0, end their count)

  std::size_t count() const { return end - begin; }
  std::size_t index(std::size_t k) const { return indices.empty() ? begin + k : indices[k]; }
};

// The exact length of the body for `selection`.
std::size_t body_length(const Selection& s) {
  std::size_t length = s.prefix.size() + s.suffix.size();
  for (std::size_t k = 0; k < s.count(); ++k) length += s.catalog->slot(s.index(k)).length;
  if (s.count() > 1) length += s.count() - 1;
  return length;
}

// Produces the body of one response a slice at a time, from the catalog's
// pre-rendered text: memory stays at one slice whatever the body's size.
class BodyWriter {
 public:
  explicit BodyWriter(Selection selection) : s_(std::move(selection)) {}

  // Appends up to `limit` more bytes of the body to `out`; false once the body
  // has been produced whole.
  bool next(std::string& out, std::size_t limit) {
    out.clear();
    while (out.size() < limit && !finished_) {
      const std::string_view piece = current_piece();
      const std::size_t take = std::min(piece.size() - offset_, limit - out.size());
      out.append(piece.substr(offset_, take));
      offset_ += take;
      if (offset_ == piece.size()) advance();
    }
    produced_ += out.size();
    return !out.empty();
  }
  std::size_t produced() const { return produced_; }

 private:
  // Pieces: the prefix, then for each record an optional comma and its text,
  // then the suffix.
  std::string_view current_piece() const {
    switch (stage_) {
      case Stage::Prefix:
        return s_.prefix;
      case Stage::Comma:
        return ",";
      case Stage::Record:
        return s_.catalog->text(s_.index(record_));
      case Stage::Suffix:
        return s_.suffix;
    }
    return {};
  }
  void advance() {
    offset_ = 0;
    switch (stage_) {
      case Stage::Prefix:
        stage_ = s_.count() ? Stage::Record : Stage::Suffix;
        break;
      case Stage::Comma:
        stage_ = Stage::Record;
        break;
      case Stage::Record:
        ++record_;
        stage_ = record_ < s_.count() ? Stage::Comma : Stage::Suffix;
        break;
      case Stage::Suffix:
        finished_ = true;
        break;
    }
  }

  enum class Stage { Prefix, Comma, Record, Suffix };
  Selection s_;
  Stage stage_ = Stage::Prefix;
  std::size_t record_ = 0;
  std::size_t offset_ = 0;
  std::size_t produced_ = 0;
  bool finished_ = false;
};

std::string json_error(std::string_view message) {
  std::string out = "{\"error\":";
  append_json_string(out, message);
  out += "}";
  return out;
}

std::optional<std::size_t> count_param(const httplib::Request& request, const char* name) {
  if (!request.has_param(name)) return 0;
  const std::string text = request.get_param_value(name);
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return static_cast<std::size_t>(std::stoul(text));
}

void reply_error(httplib::Response& response, int status, std::string_view message) {
  response.status = status;
  response.set_content(json_error(message), "application/json");
}

std::string_view cursor_description(CursorFormat format) {
  switch (format) {
    case CursorFormat::UnixSeconds:
      return "a unix time in seconds";
    case CursorFormat::UnixMillis:
      return "a unix time in milliseconds";
    case CursorFormat::Iso8601:
      break;
  }
  return "an ISO 8601 timestamp";
}

// A request refused with 400 and `message`.
struct Refusal {
  std::string message;
};

// The whole number in query parameter `name`; nullopt when absent. Throws
// Refusal when it is not a whole number.
std::optional<std::size_t> whole_param(const httplib::Request& request, const std::string& name) {
  if (!request.has_param(name)) return std::nullopt;
  const std::string text = request.get_param_value(name);
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
    throw Refusal{name + " must be a whole number, not \"" + text + "\""};
  return static_cast<std::size_t>(std::stoul(text));
}

// A page number: 1 when absent. Throws Refusal below 1.
std::size_t page_param(const httplib::Request& request, const std::string& name) {
  const std::size_t page = whole_param(request, name).value_or(1);
  if (page < 1) throw Refusal{name + " must be 1 or more, not 0"};
  return page;
}

// The page size a request asks for in `name`, or the endpoint's default; one
// above the largest allowed is cut to it (`cut`) or refused.
std::size_t size_param(const httplib::Request& request, const std::string& name,
                       const ServingOptions& serving, bool cut) {
  const PageLimits limits = page_limits(serving.paging);
  const std::size_t most = serving.max_page_size ? serving.max_page_size : limits.max_size;
  const std::size_t fallback =
      std::min(serving.page_size ? serving.page_size : limits.default_size, most);
  const auto asked = whole_param(request, name);
  if (!asked) return fallback;
  if (*asked < 1 || (*asked > most && !cut))
    throw Refusal{name + " must be between 1 and " + std::to_string(most) + ", not " +
                  std::to_string(*asked)};
  return std::min(*asked, most);
}

// The query parameters a paging style reads, besides since and the required ones.
std::vector<std::string> style_params(PagingStyle style) {
  switch (style) {
    case PagingStyle::LinkHeader:
    case PagingStyle::NextUrl:
    case PagingStyle::PageNumber:
      return {"page", "per_page"};
    case PagingStyle::Token:
      return {"after", "limit"};
    case PagingStyle::LastRecord:
      return {"starting_after", "limit"};
    case PagingStyle::Offset:
      return {"offset", "limit"};
    case PagingStyle::Keyset:
      return {"scroll_param"};
    case PagingStyle::JsonServer:
      return {"_page", "_limit", "_sort", "_order"};
    case PagingStyle::None:
      break;
  }
  return {};
}

// The records a request may page through: the catalog's records after since
// (a range of the catalog, which is in serving order), in the order asked for.
struct View {
  std::shared_ptr<const Catalog> catalog;
  std::size_t begin = 0, end = 0;
  Order order = Order::Ascending;
  // ByKey: the catalog indices of the range, in key order.
  std::shared_ptr<const std::vector<std::uint32_t>> keyed;

  std::size_t size() const { return end - begin; }
  // The catalog index of the k-th record in the view's order.
  std::uint32_t at(std::size_t k) const {
    switch (order) {
      case Order::NewestFirst:
        return static_cast<std::uint32_t>(end - 1 - k);
      case Order::ByKey:
        return (*keyed)[k];
      case Order::Ascending:
        break;
    }
    return static_cast<std::uint32_t>(begin + k);
  }
};

// The catalog indices of every record of `catalog`, in key order: by the record's
// index in its store (which follows creation), raw records last.
std::vector<std::uint32_t> key_order(const Catalog& catalog) {
  std::vector<std::uint32_t> order(catalog.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return catalog.slot(a).record < catalog.slot(b).record;
  });
  return order;
}

// The instant just before `t` in the precision `format` serves.
Instant just_before(Instant t, CursorFormat format) {
  if (format == CursorFormat::UnixSeconds) return Instant{t.seconds - 1, t.nanos};
  if (t.nanos >= 1'000'000) return Instant{t.seconds, t.nanos - 1'000'000};
  return Instant{t.seconds - 1, t.nanos + 999'000'000};
}

// Where one data request's records come from, and how they are framed and filtered.
struct Feed {
  std::string path;
  std::string records_path = "data";
  std::string prefix, suffix;  // the framing without paging fields
  std::string since_param = "since";
  std::string cursor_field = "updatedAt";
  CursorFormat format = CursorFormat::Iso8601;
  std::map<std::string, std::string> required;
  std::uint64_t seed = 1;
  // Reads what is served right now into `catalog` and `serving`; called after
  // the request hook, so that a hook's changes count for its request.
  std::function<void(Feed&)> load;
  // The store index of the record with an id, for LastRecord.
  std::function<std::optional<std::uint32_t>(const std::string&)> record_index;
  std::shared_ptr<const Catalog> catalog;
  ServingOptions serving;
  AuthRequirement auth;
  // The request's until (serving.until_param), when it has one.
  std::optional<Instant> until;

  // The end of the records before until: an index of the catalog.
  std::size_t end() const { return until ? catalog->first_not_before(*until) : catalog->size(); }
};

// A generic endpoint: its spec (whose `serving` MockApi::Impl::mutex guards),
// the body's text around the records' array, and its records.
struct Endpoint {
  explicit Endpoint(EndpointSpec s)
      : spec(std::move(s)), store(spec.schema, spec.records, spec.seed) {
    Framing framing = frame_records(spec.records_path);
    prefix = std::move(framing.prefix);
    suffix = std::move(framing.suffix);
  }

  EndpointSpec spec;
  std::string prefix, suffix;
  RecordStore store;
  std::atomic<std::size_t> requests{0};
};

// The users' timeline: the `days` days before now, or 2024 for 0.
Timeline timeline_of(std::int64_t days) {
  if (days == 0) return kYear2024;
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return days_before(Instant{now.count(), 0}, days);
}

}  // namespace

struct MockApi::Impl {
  explicit Impl(const Options& o)
      : options(o), store(o.users, o.seed, o.style, timeline_of(o.updated_within_days)) {}

  // Logs this data request and returns the request hook, if any.
  std::function<void(std::size_t)> log_request(const httplib::Request& request,
                                               const std::string& path, const std::string& since) {
    const std::lock_guard lock(mutex);
    since_log.emplace_back(path, since);
    target_log.push_back(request.target);
    authorization_log.push_back(request.get_header_value("Authorization"));
    return hook;
  }

  // Takes the fault queued for this data request, if any.
  std::optional<Fault> take_fault() {
    const std::lock_guard lock(mutex);
    if (faults.empty()) return std::nullopt;
    Fault fault = std::move(faults.front());
    faults.pop_front();
    return fault;
  }

  // The generic endpoint at `path`, or null.
  Endpoint* find(const std::string& path) const {
    const std::lock_guard lock(mutex);
    const auto it = endpoints.find(path);
    return it == endpoints.end() ? nullptr : it->second.get();
  }

  // Shuffles the records of `s` when the endpoint serves them unsorted.
  static void shuffle(Selection& s, const Feed& feed, std::size_t request_number) {
    if (!feed.serving.unsorted || s.count() < 2) return;
    if (s.indices.empty()) {
      s.indices.resize(s.count());
      std::iota(s.indices.begin(), s.indices.end(), static_cast<std::uint32_t>(s.begin));
      s.begin = 0;
      s.end = s.indices.size();
    }
    std::mt19937_64 rng(feed.seed * 7919 + request_number);
    std::shuffle(s.indices.begin(), s.indices.end(), rng);
  }

  // PagingStyle::None: the records after since, at most page_size of them unless
  // that would split an instant.
  static Selection select(std::optional<Instant> since, const Feed& feed,
                          std::size_t request_number) {
    Selection s;
    s.catalog = feed.catalog;
    s.prefix = feed.prefix;
    s.suffix = feed.suffix;
    const ServingOptions& o = feed.serving;
    const Catalog& c = *s.catalog;
    if (since && o.since_mode == SinceMode::Exclusive) s.begin = c.first_after(*since);
    if (since && o.since_mode == SinceMode::Inclusive) s.begin = c.first_not_before(*since);
    const std::size_t bound = std::max(s.begin, feed.end());
    s.end = bound;
    if (o.page_size > 0 && s.end - s.begin > o.page_size) {
      // A page never splits the records of one instant: with an exclusive since
      // the rest of them could never be asked for again.
      s.end = s.begin + o.page_size;
      const Instant last = c.slot(s.end - 1).updated;
      while (s.end < bound && c.slot(s.end).updated == last) ++s.end;
    }
    shuffle(s, feed, request_number);
    return s;
  }

  // The key order of the catalog of the feed at `path`, computed once per catalog.
  std::shared_ptr<const std::vector<std::uint32_t>> keyed(
      const std::string& path, const std::shared_ptr<const Catalog>& catalog) {
    {
      const std::lock_guard lock(mutex);
      const auto it = key_orders.find(path);
      if (it != key_orders.end() && it->second.first.lock() == catalog) return it->second.second;
    }
    auto order = std::make_shared<const std::vector<std::uint32_t>>(key_order(*catalog));
    const std::lock_guard lock(mutex);
    key_orders[path] = {catalog, order};
    return order;
  }

  // The records after since, in `order`.
  View view(const Feed& feed, std::optional<Instant> since, Order order) {
    View v;
    v.catalog = feed.catalog;
    v.order = order;
    const Catalog& c = *v.catalog;
    if (since && feed.serving.since_mode == SinceMode::Exclusive) v.begin = c.first_after(*since);
    if (since && feed.serving.since_mode == SinceMode::Inclusive)
      v.begin = c.first_not_before(*since);
    v.end = std::max(v.begin, feed.end());
    if (v.order == Order::ByKey) {
      auto all = keyed(feed.path, v.catalog);
      if (v.begin == 0 && v.end == c.size()) {
        v.keyed = std::move(all);
      } else {
        auto some = std::make_shared<std::vector<std::uint32_t>>();
        some->reserve(v.size());
        for (const std::uint32_t i : *all)
          if (i >= v.begin && i < v.end) some->push_back(i);
        v.keyed = std::move(some);
      }
    }
    return v;
  }

  // The origin of next links and next URLs: "" when relative, the configured
  // one, or the server's own.
  std::string next_origin(const ServingOptions& serving) const {
    if (serving.relative_next) return "";
    if (!serving.next_origin.empty()) return serving.next_origin;
    return "http://" + host + ":" + std::to_string(port);
  }

  // The request's own URL with parameter `name` set to `value`.
  std::string url_with(const httplib::Request& request, const ServingOptions& serving,
                       const std::string& name, std::size_t value) const {
    const std::size_t mark = request.target.find('?');
    const std::string_view target = request.target;
    const std::string_view path = target.substr(0, mark);
    const std::string_view query =
        mark == std::string::npos ? std::string_view() : target.substr(mark + 1);
    return next_origin(serving) + std::string(path) + "?" +
           with_query_param(query, name, std::to_string(value));
  }

  // One page of a paging style: which records, the body around them and the
  // headers that go with them (Link, X-Total-Count). Throws Refusal for a
  // request it cannot serve.
  struct Page {
    Selection selection;
    std::vector<std::pair<std::string, std::string>> headers;
  };

  // JsonServer: the order _sort and _order ask for: creation order without
  // _sort (json-server's is the order records were added in), else by the
  // cursor, ties in creation order (lodash's orderBy is stable). Sorting by any
  // other field is refused: the mock cannot.
  static Order json_server_order(const httplib::Request& request, const Feed& feed) {
    if (!request.has_param("_sort")) return Order::ByKey;
    const std::string sort = request.get_param_value("_sort");
    const std::string first = sort.substr(0, sort.find(','));
    if (first != feed.cursor_field)
      throw Refusal{"_sort: the mock sorts by " + feed.cursor_field + " only, not \"" + sort +
                    "\""};
    std::string order = request.get_param_value("_order");
    order = order.substr(0, order.find(','));
    std::transform(order.begin(), order.end(), order.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return order == "desc" ? Order::NewestFirst : Order::Ascending;
  }

  // JsonServer, as lib/server/router/plural.js of json-server 0.17.4: with
  // _page, the records of that page (from 1; 10 without _limit) and its Link
  // (json_server_links); with _limit alone, the first _limit records; with
  // either, X-Total-Count. Sets `from` and `size`.
  void json_server_page(const httplib::Request& request, const ServingOptions& o, std::size_t total,
                        Page& page, std::size_t& from, std::size_t& size) const {
    const bool paged = request.has_param("_page");
    size = total;
    if (!paged && !request.has_param("_limit")) return;
    page.headers.emplace_back("X-Total-Count", std::to_string(total));
    page.headers.emplace_back("Access-Control-Expose-Headers",
                              paged ? "X-Total-Count, Link" : "X-Total-Count");
    const auto limit = js_positive_int(request.get_param_value("_limit"));
    if (!paged) {
      size = limit.value_or(total);
      return;
    }
    size = limit.value_or(o.page_size ? o.page_size : page_limits(o.paging).default_size);
    const std::size_t current = js_positive_int(request.get_param_value("_page")).value_or(1);
    from = std::min(total, (current - 1) * size);
    page.headers.emplace_back(
        "Link", json_server_links(next_origin(o) + request.target, current, size, total, o.repeat));
  }

  Page page(const httplib::Request& request, const Feed& feed, std::optional<Instant> since,
            std::size_t request_number) {
    const ServingOptions& o = feed.serving;
    Page page;
    Selection& s = page.selection;
    s.catalog = feed.catalog;
    if (o.paging == PagingStyle::Keyset) {
      keyset_page(request, feed, since, s);
      shuffle(s, feed, request_number);
      return page;
    }

    const View v =
        view(feed, since,
             o.paging == PagingStyle::JsonServer ? json_server_order(request, feed) : o.order);
    const std::size_t total = v.size();
    std::size_t from = 0, size = 0;
    std::string head, tail;
    const auto number = [](std::size_t n) { return std::to_string(n); };
    switch (o.paging) {
      case PagingStyle::LinkHeader: {
        size = size_param(request, "per_page", o, true);
        const std::size_t number_asked = page_param(request, "page");
        const std::size_t last = std::max<std::size_t>(1, (total + size - 1) / size);
        from = std::min(total, (number_asked - 1) * size);
        const bool more = o.repeat || number_asked < last;
        if (more || number_asked > 1) {
          std::vector<std::string> links;
          if (number_asked > 1)
            links.push_back("<" + url_with(request, o, "page", number_asked - 1) +
                            ">; rel=\"prev\"");
          if (more)
            links.push_back(
                "<" + url_with(request, o, "page", o.repeat ? number_asked : number_asked + 1) +
                ">; rel=\"next\"");
          links.push_back("<" + url_with(request, o, "page", last) + ">; rel=\"last\"");
          if (number_asked > 1)
            links.push_back("<" + url_with(request, o, "page", 1) + ">; rel=\"first\"");
          std::string header;
          for (const std::string& link : links) header += (header.empty() ? "" : ", ") + link;
          page.headers.emplace_back("Link", header);
        }
        break;
      }
      case PagingStyle::NextUrl: {
        size = size_param(request, "per_page", o, false);
        const std::size_t number_asked = page_param(request, "page");
        from = std::min(total, (number_asked - 1) * size);
        tail = ",\"total_items\":" + number(total) + ",\"page\":" + number(number_asked) +
               ",\"per_page\":" + number(size) + ",";
        append_json_string(tail, o.next_field);
        tail += ":";
        if (o.repeat || from + size < total) {
          append_json_string(
              tail, url_with(request, o, "page", o.repeat ? number_asked : number_asked + 1));
        } else {
          tail += "null";
        }
        break;
      }
      case PagingStyle::Token: {
        size = size_param(request, "limit", o, false);
        if (request.has_param("after")) {
          const std::string token = request.get_param_value("after");
          const auto text = base64_decode(token);
          std::string digits = text ? *text : "";
          if (!digits.empty() && digits.back() == '\n') digits.pop_back();
          if (digits.empty() || digits.size() > 9 ||
              digits.find_first_not_of("0123456789") != std::string::npos)
            throw Refusal{"after is not a paging token of this list: \"" + token + "\""};
          from = std::min<std::size_t>(total, std::stoul(digits));
        }
        if (o.repeat || from + size < total) {
          // As HubSpot's: Base64 of the next offset and a newline.
          const std::string token = base64_encode(number(o.repeat ? from : from + size) + "\n");
          tail = ",\"paging\":{\"next\":{\"after\":";
          append_json_string(tail, token);
          tail += ",\"link\":";
          append_json_string(tail, "?after=" + percent_encoded(token));
          tail += "}}";
        }
        break;
      }
      case PagingStyle::LastRecord: {
        size = size_param(request, "limit", o, false);
        if (!o.repeat && request.has_param("starting_after")) {
          const std::string id = request.get_param_value("starting_after");
          const auto index = feed.record_index(id);
          std::size_t k = 0;
          while (index && k < total && feed.catalog->slot(v.at(k)).record != *index) ++k;
          if (!index || k == total) throw Refusal{"No such object: '" + id + "'"};
          from = k + 1;
        }
        head = "\"object\":\"list\",\"url\":";
        append_json_string(head, feed.path);
        head += ",\"has_more\":";
        head += o.repeat || from + size < total ? "true," : "false,";
        break;
      }
      case PagingStyle::Offset: {
        size = size_param(request, "limit", o, false);
        const std::size_t offset = o.repeat ? 0 : whole_param(request, "offset").value_or(0);
        from = std::min(total, offset);
        tail = ",\"offset\":" + number(offset) + ",\"limit\":" + number(size) +
               ",\"total\":" + number(total);
        break;
      }
      case PagingStyle::PageNumber: {
        size = size_param(request, "per_page", o, false);
        const std::size_t number_asked = o.repeat ? 1 : page_param(request, "page");
        from = std::min(total, (number_asked - 1) * size);
        tail = ",\"page\":" + number(number_asked) + ",\"page_size\":" + number(size) +
               ",\"total_pages\":" + number((total + size - 1) / size) +
               ",\"total_items\":" + number(total);
        break;
      }
      case PagingStyle::JsonServer:
        json_server_page(request, o, total, page, from, size);
        break;
      case PagingStyle::Keyset:
      case PagingStyle::None:
        break;
    }
    const std::size_t to = std::min(total, from + size);
    s.indices.reserve(to - from);
    for (std::size_t k = from; k < to; ++k) s.indices.push_back(v.at(k));
    s.end = s.indices.size();
    Framing framing = frame_records(feed.records_path, head, tail);
    s.prefix = std::move(framing.prefix);
    s.suffix = std::move(framing.suffix);
    shuffle(s, feed, request_number);
    return page;
  }

  // Keyset: a page of page_size records (50 by default) after since or strictly
  // after the scroll_param's cursor, extended so that it never splits an instant.
  static void keyset_page(const httplib::Request& request, const Feed& feed,
                          std::optional<Instant> since, Selection& s) {
    const ServingOptions& o = feed.serving;
    const Catalog& c = *feed.catalog;
    if (const auto after = scroll_cursor(request, feed)) {
      s.begin = c.first_after(*after);
    } else if (since && o.since_mode == SinceMode::Exclusive) {
      s.begin = c.first_after(*since);
    } else if (since && o.since_mode == SinceMode::Inclusive) {
      s.begin = c.first_not_before(*since);
    }
    const std::size_t size =
        o.page_size ? o.page_size : page_limits(PagingStyle::Keyset).default_size;
    const std::size_t bound = std::max(s.begin, feed.end());
    s.end = std::min(bound, s.begin + size);
    if (s.end > s.begin) {
      const Instant last = c.slot(s.end - 1).updated;
      while (s.end < bound && c.slot(s.end).updated == last) ++s.end;
    }
    std::string tail = ",\"scroll_param\":";
    if (o.repeat && c.size() > 0) {
      // The cursor just before the page: strictly after it is this page again.
      const Instant before =
          s.begin > 0 ? c.slot(s.begin - 1).updated : just_before(c.slot(0).updated, feed.format);
      append_json_string(tail, base64_encode(served_cursor_text(before, feed.format)));
    } else if (s.end < bound) {
      append_json_string(tail,
                         base64_encode(served_cursor_text(c.slot(s.end - 1).updated, feed.format)));
    } else {
      tail += "null";
    }
    Framing framing = frame_records(feed.records_path, {}, tail);
    s.prefix = std::move(framing.prefix);
    s.suffix = std::move(framing.suffix);
  }

  // Keyset: the cursor a request's scroll_param stands for; nullopt without one.
  // Throws Refusal for a bad one, or one given with since.
  static std::optional<Instant> scroll_cursor(const httplib::Request& request, const Feed& feed) {
    if (feed.serving.paging != PagingStyle::Keyset || !request.has_param("scroll_param"))
      return std::nullopt;
    if (!feed.since_param.empty() && request.has_param(feed.since_param))
      throw Refusal{feed.since_param + " and scroll_param cannot be used together"};
    const std::string value = request.get_param_value("scroll_param");
    const auto text = base64_decode(value);
    const auto after = text ? parse_cursor(feed.format, *text) : std::nullopt;
    if (!after) throw Refusal{"scroll_param is not a scroll value of this list: \"" + value + "\""};
    return after;
  }

  // Sleeps `duration` in short steps; false when the server stops meanwhile or
  // the client has gone.
  bool pause(std::chrono::milliseconds duration, httplib::DataSink& sink) const {
    const auto until = std::chrono::steady_clock::now() + duration;
    while (std::chrono::steady_clock::now() < until) {
      if (stopping.load() || !sink.is_writable()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }

  // Sleeps `duration` in short steps, less when the server stops meanwhile.
  void wait(std::chrono::milliseconds duration) const {
    const auto until = std::chrono::steady_clock::now() + duration;
    while (!stopping.load()) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= until) return;
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
          until - now, std::chrono::milliseconds(10)));
    }
  }

  void serve_users(const httplib::Request& request, httplib::Response& response) {
    Feed feed;
    feed.path = kUsersPath;
    const Framing framing = frame_records(feed.records_path);
    feed.prefix = framing.prefix;
    feed.suffix = framing.suffix;
    feed.load = [this](Feed& f) {
      f.catalog = store.catalog();
      const std::lock_guard lock(mutex);
      f.serving = options;
      f.auth = options.auth;
      f.seed = options.seed;
    };
    feed.record_index = [this](const std::string& id) { return store.record_index(id); };
    serve_feed(request, response, feed);
  }

  void serve_endpoint(const httplib::Request& request, httplib::Response& response) {
    Endpoint* endpoint = find(request.path);
    if (!endpoint) return reply_error(response, 404, "no endpoint at " + request.path);
    ++endpoint->requests;
    Feed feed;
    feed.path = endpoint->spec.path;
    feed.records_path = endpoint->spec.records_path;
    feed.prefix = endpoint->prefix;
    feed.suffix = endpoint->suffix;
    feed.since_param = endpoint->spec.since_param;
    feed.cursor_field = endpoint->spec.schema.cursor_field;
    feed.format = endpoint->spec.schema.cursor_format;
    feed.required = endpoint->spec.required_params;
    feed.seed = endpoint->spec.seed;
    feed.load = [this, endpoint](Feed& f) {
      f.catalog = endpoint->store.catalog();
      const std::lock_guard lock(mutex);
      f.serving = endpoint->spec.serving;
      f.auth = endpoint->spec.auth;
    };
    feed.record_index = [endpoint](const std::string& id) {
      return endpoint->store.record_index(id);
    };
    serve_feed(request, response, feed);
  }

  // A 400 in the endpoint's form: Stripe's for LastRecord, {"error": ...} otherwise.
  static void refuse(httplib::Response& response, const Feed& feed, const std::string& message) {
    if (feed.serving.paging != PagingStyle::LastRecord) return reply_error(response, 400, message);
    std::string body = R"({"error":{"type":"invalid_request_error","message":)";
    append_json_string(body, message);
    body += "}}";
    response.status = 400;
    response.set_content(body, "application/json");
  }

  // Refuses the first query parameter a strict endpoint does not know.
  static void check_known_params(const httplib::Request& request, const Feed& feed) {
    if (!feed.serving.strict) return;
    std::set<std::string> known;
    if (!feed.since_param.empty()) known.insert(feed.since_param);
    for (const auto& [name, value] : feed.required) known.insert(name);
    for (std::string& name : style_params(feed.serving.paging)) known.insert(std::move(name));
    if (!feed.serving.until_param.empty()) known.insert(feed.serving.until_param);
    if (feed.auth.kind == AuthRequirement::Kind::ApiKey && feed.auth.in_query)
      known.insert(feed.auth.name);
    for (const auto& [name, value] : request.params) {
      if (known.count(name)) continue;
      if (feed.serving.paging == PagingStyle::LastRecord)
        throw Refusal{"Received unknown parameter: " + name};
      throw Refusal{"unknown parameter: " + name};
    }
  }

  // Refuses a request whose range is missing an end or longer than the feed's
  // max_range_seconds; since is Keyset's scroll_param on its later pages.
  static void check_range(const httplib::Request& request, const Feed& feed,
                          std::optional<Instant> since) {
    const std::int64_t most = feed.serving.max_range_seconds;
    if (most <= 0) return;
    std::string from_name = feed.since_param;
    if (!since) {
      since = scroll_cursor(request, feed);
      if (since) from_name = "scroll_param";
    }
    const std::string& until_name = feed.serving.until_param;
    const std::string limit = "at most " + std::to_string(most) + " seconds apart";
    if (!since || !feed.until)
      throw Refusal{feed.since_param + " and " + until_name + " are both required, " + limit};
    const std::int64_t whole = feed.until->seconds - since->seconds;
    if (whole > most || (whole == most && feed.until->nanos > since->nanos))
      throw Refusal{"the range from " + from_name + " to " + until_name + " is longer than " +
                    std::to_string(most) + " seconds: " + from_name + " and " + until_name +
                    " must be " + limit};
  }

  // A 401 with the HTML page of a Basic, Bearer or API key endpoint and, unless
  // empty, the challenge in WWW-Authenticate. Returns false.
  static bool unauthorized_page(httplib::Response& response, const std::string& challenge) {
    response.status = 401;
    if (!challenge.empty()) response.set_header("WWW-Authenticate", challenge);
    response.set_content(kUnauthorizedPage, "text/html; charset=utf-8");
    return false;
  }

  // Whether the request carries what feed.auth asks for; when not, the 401 is set.
  bool authorized(const httplib::Request& request, httplib::Response& response,
                  const Feed& feed) const {
    using Kind = AuthRequirement::Kind;
    const AuthRequirement& auth = feed.auth;
    const std::string authorization = request.get_header_value("Authorization");
    const std::string realm = "realm=\"tsync-mock-api\"";
    switch (auth.kind) {
      case Kind::None:
        return true;
      case Kind::Basic: {
        const auto given = basic_credentials(authorization);
        if (given && given->first == auth.username && given->second == auth.password) return true;
        return unauthorized_page(response, "Basic " + realm + ", charset=\"UTF-8\"");
      }
      case Kind::Bearer: {
        const auto token = credentials_of(authorization, "Bearer");
        if (token && *token == auth.secret) return true;
        // RFC 6750 section 3.1: an error code only for a token that was sent.
        return unauthorized_page(response,
                                 "Bearer " + realm + (token ? ", error=\"invalid_token\"" : ""));
      }
      case Kind::ApiKey: {
        const bool sent =
            auth.in_query ? request.has_param(auth.name) : request.has_header(auth.name);
        const std::string value = auth.in_query ? request.get_param_value(auth.name)
                                                : request.get_header_value(auth.name);
        if (sent && value == auth.prefix + auth.secret) return true;
        return unauthorized_page(response, "");
      }
      case Kind::Session: {
        const std::string prefix = auth.prefix.empty() ? "Token " : auth.prefix;
        const std::string value = request.get_header_value(auth.name);
        TokenBook::State state = TokenBook::State::Unknown;
        if (request.has_header(auth.name) && value.rfind(prefix, 0) == 0) {
          state = tokens.check(TokenBook::Kind::Session, value.substr(prefix.size()));
          if (state == TokenBook::State::Valid) return true;
        } else {
          reply_error(response, 401,
                      "a session token is required: log in with a POST to " +
                          std::string(kLoginPath) + ", then send the token in " + auth.name +
                          " after \"" + prefix + "\"");
          return false;
        }
        reply_error(response, 401,
                    state == TokenBook::State::Expired
                        ? "the session token has expired: log in again"
                        : "the session token is not one this server issued");
        return false;
      }
      case Kind::OAuth2: {
        const auto token = credentials_of(authorization, "Bearer");
        const TokenBook::State state =
            token ? tokens.check(TokenBook::Kind::Access, *token) : TokenBook::State::Unknown;
        if (state == TokenBook::State::Valid) return true;
        response.set_header("WWW-Authenticate",
                            "Bearer " + realm + (token ? ", error=\"invalid_token\"" : ""));
        reply_error(response, 401,
                    !token ? "an access token is required: get one with a POST to " +
                                 std::string(kTokenPath) +
                                 ", then send \"Authorization: Bearer <token>\""
                    : state == TokenBook::State::Expired
                        ? "the access token has expired: get a new one"
                        : "the access token is not one this server issued");
        return false;
      }
    }
    return false;
  }

  void serve_feed(const httplib::Request& request, httplib::Response& response, Feed& feed) {
    // In flight until the answer is set or, for a streamed body, until its last
    // slice has been produced (before it is sent: a client that has the whole
    // body never sees its request still counted), or the connection closes.
    std::shared_ptr<void> ticket = load.start(feed.path);
    const bool has_since = !feed.since_param.empty() && request.has_param(feed.since_param);
    const std::string since_text = has_since ? request.get_param_value(feed.since_param) : "";
    const std::size_t request_number = requests.fetch_add(1) + 1;
    if (const auto request_hook = log_request(request, feed.path, since_text))
      request_hook(request_number);
    feed.load(feed);
    if (feed.serving.latency.count() > 0) wait(feed.serving.latency);
    if (!authorized(request, response, feed)) return;
    const std::optional<Fault> fault = take_fault();
    for (const auto& [name, value] : feed.required) {
      if (!request.has_param(name))
        return refuse(response, feed, "missing required parameter " + name + "=" + value);
      const std::string sent = request.get_param_value(name);
      if (sent != value)
        return refuse(response, feed,
                      "parameter " + name + " must be \"" + value + "\", not \"" + sent + "\"");
    }
    std::optional<Instant> since;
    if (has_since) {
      since = parse_cursor(feed.format, since_text);
      if (!since)
        return refuse(response, feed,
                      feed.since_param + " is not " + std::string(cursor_description(feed.format)) +
                          ": \"" + since_text + "\"");
    }
    const std::string& until_param = feed.serving.until_param;
    if (!until_param.empty() && request.has_param(until_param)) {
      const std::string until_text = request.get_param_value(until_param);
      feed.until = parse_cursor(feed.format, until_text);
      if (!feed.until)
        return refuse(response, feed,
                      until_param + " is not " + std::string(cursor_description(feed.format)) +
                          ": \"" + until_text + "\"");
    }
    Page page;
    try {
      check_known_params(request, feed);
      check_range(request, feed, since);
      if (feed.serving.paging == PagingStyle::None) {
        page.selection = select(since, feed, request_number);
      } else {
        page = this->page(request, feed, since, request_number);
      }
    } catch (const Refusal& refusal) {
      return refuse(response, feed, refusal.message);
    }
    if (fault && fault->kind == Fault::Kind::Status) {
      response.status = fault->status;
      if (!fault->retry_after.empty()) response.set_header("Retry-After", fault->retry_after);
      response.set_content(json_error("injected fault: HTTP " + std::to_string(fault->status)),
                           "application/json");
      return;
    }
    if (fault && fault->kind == Fault::Kind::RawBody) {
      response.status = fault->status;
      response.set_content(fault->body, fault->content_type);
      return;
    }

    for (const auto& [name, value] : page.headers) response.set_header(name, value);
    Selection selection = std::move(page.selection);
    const std::size_t length = body_length(selection);
    auto writer = std::make_shared<BodyWriter>(std::move(selection));
    const std::size_t rate = feed.serving.rate_limit_bytes_per_second;
    const std::size_t slice =
        rate ? std::clamp<std::size_t>(rate / 50, 1, kSliceBytes) : kSliceBytes;
    const auto started = std::chrono::steady_clock::now();
    // Bytes before which the body stops (Drop, Truncate) or pauses (Stall).
    const std::size_t mark = fault ? fault->after_bytes : SIZE_MAX;
    const Fault::Kind kind = fault ? fault->kind : Fault::Kind::Status;
    auto buffer = std::make_shared<std::string>();
    buffer->reserve(slice);
    auto stalled = std::make_shared<bool>(false);
    auto in_flight = std::make_shared<std::shared_ptr<void>>(std::move(ticket));

    // Writes one more slice; false to cut the connection.
    auto provide = [this, in_flight, length, writer, buffer, stalled, slice, rate, started, mark,
                    kind, stall = fault ? fault->stall : std::chrono::milliseconds(0)](
                       httplib::DataSink& sink) -> bool {
      if (stopping.load()) return false;
      std::size_t limit = slice;
      const bool before_mark = writer->produced() < mark;
      if (before_mark) limit = std::min(limit, mark - writer->produced());
      if (!before_mark) {
        if (kind == Fault::Kind::DropAfterBytes || kind == Fault::Kind::TruncateBody) return false;
        if (kind == Fault::Kind::Stall && !*stalled) {
          *stalled = true;
          if (!pause(stall, sink)) return false;
        }
      }
      if (!writer->next(*buffer, limit)) {
        in_flight->reset();
        sink.done();
        return true;
      }
      if (rate) {
        const double seconds = static_cast<double>(writer->produced()) / static_cast<double>(rate);
        const auto due =
            started + std::chrono::microseconds(static_cast<std::int64_t>(seconds * 1e6));
        const auto now = std::chrono::steady_clock::now();
        if (due > now &&
            !pause(std::chrono::duration_cast<std::chrono::milliseconds>(due - now), sink))
          return false;
      }
      if (writer->produced() == length) in_flight->reset();
      return sink.write(buffer->data(), buffer->size());
    };

    if (kind == Fault::Kind::DropAfterBytes) {
      response.set_chunked_content_provider(
          kJsonType, [provide](std::size_t, httplib::DataSink& sink) { return provide(sink); });
    } else {
      response.set_content_provider(
          length, kJsonType,
          [provide](std::size_t, std::size_t, httplib::DataSink& sink) { return provide(sink); });
    }
  }

  // Serves the sign-in fault queued next, if any; true when it did.
  bool serve_sign_in_fault(httplib::Response& response) {
    std::optional<Fault> fault;
    {
      const std::lock_guard lock(mutex);
      if (sign_in_faults.empty()) return false;
      fault = std::move(sign_in_faults.front());
      sign_in_faults.pop_front();
    }
    response.status = fault->status;
    if (fault->kind == Fault::Kind::RawBody) {
      response.set_content(fault->body, fault->content_type);
      return true;
    }
    if (!fault->retry_after.empty()) response.set_header("Retry-After", fault->retry_after);
    response.set_content(json_error("injected fault: HTTP " + std::to_string(fault->status)),
                         "application/json");
    return true;
  }

  // Whether some Session endpoint signs in with these credentials.
  bool session_credentials(const std::string& username, const std::string& password) const {
    const auto matches = [&](const AuthRequirement& auth) {
      return auth.kind == AuthRequirement::Kind::Session && auth.username == username &&
             auth.password == password;
    };
    const std::lock_guard lock(mutex);
    if (matches(options.auth)) return true;
    return std::any_of(endpoints.begin(), endpoints.end(),
                       [&](const auto& entry) { return matches(entry.second->spec.auth); });
  }

  // POST kLoginPath: {"username", "password"} -> {"token"}, as the Fivetran playground's.
  void serve_login(const httplib::Request& request, httplib::Response& response) {
    ++login_count;
    if (serve_sign_in_fault(response)) return;
    rapidjson::Document body;
    body.Parse(request.body.c_str(), request.body.size());
    const auto text = [&](const char* name) -> std::optional<std::string> {
      if (!body.IsObject() || !body.HasMember(name) || !body[name].IsString()) return std::nullopt;
      return std::string(body[name].GetString(), body[name].GetStringLength());
    };
    const auto username = body.HasParseError() ? std::nullopt : text("username");
    const auto password = body.HasParseError() ? std::nullopt : text("password");
    if (!username || !password)
      return reply_error(response, 400,
                         "the body must be a JSON object {\"username\": \"...\", \"password\": "
                         "\"...\"}");
    if (!session_credentials(*username, *password))
      return reply_error(response, 401, "invalid username or password");
    std::string answer = "{\"token\":";
    append_json_string(answer, tokens.issue(TokenBook::Kind::Session, std::nullopt));
    answer += "}";
    response.set_content(answer, "application/json");
  }

  // The answer of the token endpoint: `fields` as JSON (numbers unquoted) or
  // form-encoded, as `format` and the request's Accept say.
  static void token_answer(const httplib::Request& request, httplib::Response& response,
                           OAuthOptions::Format format, int status,
                           const std::vector<std::pair<std::string, std::string>>& fields) {
    const bool form =
        format == OAuthOptions::Format::Form ||
        (format == OAuthOptions::Format::FormUnlessJsonAccepted &&
         request.get_header_value("Accept").find("application/json") == std::string::npos);
    std::string body;
    for (const auto& [name, value] : fields) {
      if (form) {
        body += (body.empty() ? "" : "&") + percent_encoded(name) + "=" + percent_encoded(value);
        continue;
      }
      body += body.empty() ? "{" : ",";
      append_json_string(body, name);
      body += ":";
      if (name == "expires_in")
        body += value;
      else
        append_json_string(body, value);
    }
    if (!form) body += "}";
    response.status = status;
    response.set_header("Cache-Control", "no-store");
    response.set_header("Pragma", "no-cache");
    response.set_content(body, form ? "application/x-www-form-urlencoded" : "application/json");
  }

  // An error of the token endpoint, as RFC 6749 section 5.2 writes it.
  void oauth_error(const httplib::Request& request, httplib::Response& response, int status,
                   const std::string& error, const std::string& description) const {
    token_answer(request, response, oauth.format, status,
                 {{"error", error}, {"error_description", description}});
  }

  // POST kTokenPath: the OAuth2 token endpoint (OAuthOptions).
  void serve_token(const httplib::Request& request, httplib::Response& response) {
    ++token_count;
    if (serve_sign_in_fault(response)) return;
    const std::string type = request.get_header_value("Content-Type");
    if (type.rfind("application/x-www-form-urlencoded", 0) != 0)
      return oauth_error(request, response, 400, "invalid_request",
                         "the body must be application/x-www-form-urlencoded");
    const auto items = decode_form(request.body);
    if (!items)
      return oauth_error(request, response, 400, "invalid_request", "the body is not form-encoded");
    std::map<std::string, std::string> form;
    for (const auto& [name, value] : *items)
      if (!form.emplace(name, value).second)
        return oauth_error(request, response, 400, "invalid_request",
                           name + " is given more than once");
    const auto param = [&](const char* name) -> std::optional<std::string> {
      const auto it = form.find(name);
      return it == form.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    const auto grant = param("grant_type");
    if (!grant)
      return oauth_error(request, response, 400, "invalid_request", "grant_type is missing");

    // The client: as Basic (its parts form-encoded, RFC 6749 section 2.3.1) or in the body.
    const std::string authorization = request.get_header_value("Authorization");
    const bool basic = credentials_of(authorization, "Basic").has_value();
    std::optional<std::string> client_id = param("client_id"), secret = param("client_secret");
    if (basic) {
      if (secret)
        return oauth_error(request, response, 400, "invalid_request",
                           "the client authenticates both in the Authorization header and in "
                           "the body");
      client_id.reset();
      if (const auto pair = basic_credentials(authorization)) {
        client_id = form_decoded(pair->first);
        secret = form_decoded(pair->second);
      }
      // Tried, but not readable: a failed authentication rather than a missing one.
      if (!client_id || !secret) client_id = secret = std::string();
    }
    const std::lock_guard lock(mutex);
    if (!client_id || !secret || *client_id != oauth.client_id || *secret != oauth.client_secret) {
      // RFC 6749 section 5.2: a client that tried Basic is answered a Basic challenge.
      if (basic) response.set_header("WWW-Authenticate", "Basic realm=\"tsync-mock-api\"");
      return oauth_error(request, response, 401, "invalid_client",
                         !client_id && !secret ? "client authentication is missing"
                                               : "client authentication failed");
    }
    std::optional<std::string> new_refresh_token;
    if (*grant == "refresh_token") {
      const auto presented = param("refresh_token");
      if (!presented)
        return oauth_error(request, response, 400, "invalid_request", "refresh_token is missing");
      if (oauth.invalid_grant || *presented != refresh_token)
        return oauth_error(request, response, 400, "invalid_grant",
                           "the refresh token is invalid, expired or revoked");
      if (oauth.rotate_refresh_token) {
        refresh_token = tokens.random_token();
        new_refresh_token = refresh_token;
      }
    } else if (*grant != "client_credentials") {
      return oauth_error(
          request, response, 400, "unsupported_grant_type",
          "grant_type \"" + *grant + "\" is not supported (client_credentials, refresh_token)");
    }
    const int lifetime = oauth.expires_in_seconds;
    std::vector<std::pair<std::string, std::string>> fields{
        {"access_token", tokens.issue(TokenBook::Kind::Access, std::chrono::seconds(lifetime))},
        {"token_type", "bearer"},
        {"expires_in", std::to_string(lifetime)}};
    if (new_refresh_token) fields.emplace_back("refresh_token", *new_refresh_token);
    if (const auto scope = param("scope")) fields.emplace_back("scope", *scope);
    token_answer(request, response, oauth.format, 200, fields);
  }

  void serve_mutate(const httplib::Request& request, httplib::Response& response) {
    const auto updates = count_param(request, "update");
    const auto additions = count_param(request, "add");
    if (!updates || !additions)
      return reply_error(response, 400, "update and add must be whole numbers");
    if (request.has_param("endpoint")) {
      Endpoint* endpoint = admin_endpoint(request, response);
      if (!endpoint) return;
      endpoint->store.mutate(*updates, *additions);
      return serve_endpoint_stats(*endpoint, response);
    }
    store.mutate(*updates, *additions);
    serve_stats(request, response);
  }

  void serve_delete(const httplib::Request& request, httplib::Response& response) {
    const auto count = count_param(request, "count");
    if (!request.has_param("count") || !count)
      return reply_error(response, 400, "count must be a whole number");
    const auto how = tombstone_from_name(
        request.has_param("tombstone") ? request.get_param_value("tombstone") : "none");
    if (!how) return reply_error(response, 400, "tombstone must be one of none, flag, at");
    std::vector<std::string> ids;
    if (request.has_param("endpoint")) {
      Endpoint* endpoint = admin_endpoint(request, response);
      if (!endpoint) return;
      try {
        ids = endpoint->store.remove(*count, *how);
      } catch (const std::invalid_argument& e) {
        return reply_error(response, 400, e.what());
      }
    } else {
      ids = store.remove(*count, *how);
    }
    std::string body = R"({"deleted":[)";
    for (std::size_t k = 0; k < ids.size(); ++k) {
      if (k > 0) body.push_back(',');
      append_json_string(body, ids[k]);
    }
    body += "]}";
    response.set_content(body, "application/json");
  }

  void serve_restore(const httplib::Request& request, httplib::Response& response) {
    std::vector<std::string> ids;
    const std::string list = request.get_param_value("ids");
    for (std::size_t start = 0; start <= list.size();) {
      const std::size_t end = std::min(list.find(',', start), list.size());
      if (end > start) ids.push_back(list.substr(start, end - start));
      start = end + 1;
    }
    if (request.has_param("endpoint")) {
      Endpoint* endpoint = admin_endpoint(request, response);
      if (!endpoint) return;
      endpoint->store.restore(ids);
      return serve_endpoint_stats(*endpoint, response);
    }
    store.restore(ids);
    serve_stats(request, response);
  }

  void serve_add_field(const httplib::Request& request, httplib::Response& response) {
    Endpoint* endpoint = admin_endpoint(request, response);
    if (!endpoint) return;
    if (!request.has_param("name")) return reply_error(response, 400, "name is missing");
    const auto kind = field_kind_from_name(request.get_param_value("kind"));
    if (!kind)
      return reply_error(response, 400,
                         "kind must be one of string, integer, bigint, float, bool, null, "
                         "object, array, numeric_string");
    try {
      endpoint->store.add_field({request.get_param_value("name"), *kind});
    } catch (const std::invalid_argument& e) {
      return reply_error(response, 400, e.what());
    }
    serve_endpoint_stats(*endpoint, response);
  }

  void serve_add_raw(const httplib::Request& request, httplib::Response& response) {
    Endpoint* endpoint = admin_endpoint(request, response);
    if (!endpoint) return;
    const CursorFormat format = endpoint->spec.schema.cursor_format;
    const Instant latest = endpoint->store.latest();
    std::optional<Instant> position = Instant{latest.seconds + 1, latest.nanos};
    if (request.has_param("position")) {
      position = parse_cursor(format, request.get_param_value("position"));
      if (!position)
        return reply_error(response, 400,
                           "position is not " + std::string(cursor_description(format)));
    }
    endpoint->store.add_raw(request.body, *position);
    serve_endpoint_stats(*endpoint, response);
  }

  // The generic endpoint an admin request names; null, with the answer set, when none.
  Endpoint* admin_endpoint(const httplib::Request& request, httplib::Response& response) const {
    const std::string path = request.get_param_value("endpoint");
    Endpoint* endpoint = find(path);
    if (!endpoint) reply_error(response, 404, "no endpoint at \"" + path + "\"");
    return endpoint;
  }

  void serve_stats(const httplib::Request& request, httplib::Response& response) const {
    if (request.has_param("endpoint")) {
      if (Endpoint* endpoint = admin_endpoint(request, response))
        serve_endpoint_stats(*endpoint, response);
      return;
    }
    response.set_content("{\"users\":" + std::to_string(store.size()) +
                             ",\"requests\":" + std::to_string(requests.load()) + "}",
                         "application/json");
  }

  // {"peak_concurrent_requests": .., "peak_requests_per_second": ..}: of every
  // endpoint, or the rate of the endpoint at ?endpoint=P (the users' path for
  // the users).
  void serve_load(const httplib::Request& request, httplib::Response& response) const {
    std::size_t per_second = load.peak_per_second();
    if (request.has_param("endpoint")) {
      const std::string path = request.get_param_value("endpoint");
      if (path != kUsersPath && !admin_endpoint(request, response)) return;
      per_second = load.peak_per_second(path);
    }
    response.set_content("{\"peak_concurrent_requests\":" + std::to_string(load.peak_in_flight()) +
                             ",\"peak_requests_per_second\":" + std::to_string(per_second) + "}",
                         "application/json");
  }

  static void serve_endpoint_stats(const Endpoint& endpoint, httplib::Response& response) {
    response.set_content("{\"records\":" + std::to_string(endpoint.store.size()) + ",\"fields\":" +
                             std::to_string(endpoint.store.schema().fields.size()) +
                             ",\"requests\":" + std::to_string(endpoint.requests.load()) + "}",
                         "application/json");
  }

  // Guards options, faults, the logs, the hook, connections, key_orders,
  // endpoints and their serving and auth, oauth, refresh_token and sign_in_faults.
  mutable std::mutex mutex;
  Options options;
  std::deque<Fault> faults;
  OAuthOptions oauth;
  std::string refresh_token = OAuthOptions{}.refresh_token;  // the one that works now
  std::deque<Fault> sign_in_faults;
  TokenBook tokens;
  LoadMeter load;  // outlives the server, whose responses hold its tickets
  std::atomic<std::size_t> token_count{0}, login_count{0};
  std::vector<std::pair<std::string, std::string>> since_log;  // (path, since)
  std::vector<std::string> target_log, authorization_log;
  std::function<void(std::size_t)> hook;
  std::set<std::string> connections;  // "address:port" of every client seen
  // Per feed path: the key order of its catalog, while that catalog is served.
  std::map<std::string, std::pair<std::weak_ptr<const Catalog>,
                                  std::shared_ptr<const std::vector<std::uint32_t>>>>
      key_orders;
  std::map<std::string, std::unique_ptr<Endpoint>> endpoints;
  std::atomic<std::size_t> requests{0};
  std::atomic<bool> stopping{false};
  UserStore store;
  httplib::Server server;
  std::thread listener;
  std::string host = "127.0.0.1";
  int port = 0;
  socket_t listening = INVALID_SOCKET;  // the server's socket, once bound
};

MockApi::MockApi(Options options) {
  check_serving(options, "data");
  if (options.updated_within_days < 0 || options.updated_within_days > kMaxUpdatedWithinDays)
    throw std::invalid_argument("updated_within_days: must be a whole number from 0 to " +
                                std::to_string(kMaxUpdatedWithinDays));
  check_auth(options.auth);
  impl_ = std::make_unique<Impl>(options);
}

MockApi::~MockApi() { stop(); }

int MockApi::start(int port, const std::string& host) {
  Impl& impl = *impl_;
  if (impl.listener.joinable()) throw std::runtime_error("the mock API is already running");
  // One client connection can carry hundreds of pages; an idle one holds a
  // worker thread until the timeout, hence more workers than the default.
  impl.server.set_keep_alive_max_count(1'000'000);
  impl.server.set_keep_alive_timeout(5);
  // The head and the body go out in separate writes: without this, Nagle's
  // algorithm and the client's delayed ACK hold each response back 40 ms.
  impl.server.set_tcp_nodelay(true);
  impl.server.new_task_queue = [] { return new httplib::ThreadPool(64); };
  impl.server.set_pre_routing_handler([&impl](const httplib::Request& request, httplib::Response&) {
    const std::lock_guard lock(impl.mutex);
    impl.connections.insert(request.remote_addr + ":" + std::to_string(request.remote_port));
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // cpp-httplib's default also sets SO_REUSEPORT, which lets a second server bind
  // the same port and take half of its connections: a stale mock would answer
  // for the new one. SO_REUSEADDR alone allows a quick restart and no sharing.
  impl.server.set_socket_options([&impl](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    impl.listening = sock;
  });
  impl.server.set_write_timeout(30, 0);
  impl.server.Get(kUsersPath,
                  [&impl](const httplib::Request& request, httplib::Response& response) {
                    impl.serve_users(request, response);
                  });
  impl.server.Post("/admin/mutate",
                   [&impl](const httplib::Request& request, httplib::Response& response) {
                     impl.serve_mutate(request, response);
                   });
  impl.server.Post("/admin/delete",
                   [&impl](const httplib::Request& request, httplib::Response& response) {
                     impl.serve_delete(request, response);
                   });
  impl.server.Post("/admin/restore",
                   [&impl](const httplib::Request& request, httplib::Response& response) {
                     impl.serve_restore(request, response);
                   });
  impl.server.Post("/admin/add_field",
                   [&impl](const httplib::Request& request, httplib::Response& response) {
                     impl.serve_add_field(request, response);
                   });
  impl.server.Post("/admin/add_raw",
                   [&impl](const httplib::Request& request, httplib::Response& response) {
                     impl.serve_add_raw(request, response);
                   });
  impl.server.Get("/admin/load",
                  [&impl](const httplib::Request& request, httplib::Response& response) {
                    impl.serve_load(request, response);
                  });
  impl.server.Get("/admin/stats",
                  [&impl](const httplib::Request& request, httplib::Response& response) {
                    impl.serve_stats(request, response);
                  });
  impl.server.Post(kLoginPath,
                   [&impl](const httplib::Request& request, httplib::Response& response) {
                     impl.serve_login(request, response);
                   });
  impl.server.Post(kTokenPath,
                   [&impl](const httplib::Request& request, httplib::Response& response) {
                     impl.serve_token(request, response);
                   });
  // Every other path: a generic endpoint, added before or after the start.
  impl.server.Get(".*", [&impl](const httplib::Request& request, httplib::Response& response) {
    impl.serve_endpoint(request, response);
  });
  impl.host = host;
  if (port == 0) {
    impl.port = impl.server.bind_to_any_port(host);
  } else {
    impl.port = impl.server.bind_to_port(host, port) ? port : -1;
  }
  if (impl.port <= 0) {
    impl.port = 0;
    throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) +
                             " (is another server using it?)");
  }
  // cpp-httplib listens with a backlog of 5: a burst of new connections beyond it
  // loses SYNs, which the clients send again a second later. Listening again
  // sets a longer queue, so that many clients can connect at once.
  if (impl.listening != INVALID_SOCKET) ::listen(impl.listening, SOMAXCONN);
  // The socket listens from here on: connections queue until the thread accepts.
  impl.listener = std::thread([&impl] { impl.server.listen_after_bind(); });
  // stop() only reaches a server that has begun its accept loop.
  while (!impl.server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return impl.port;
}

void MockApi::stop() {
  Impl& impl = *impl_;
  impl.stopping.store(true);
  if (impl.listener.joinable()) {
    impl.server.stop();
    impl.listener.join();
  }
}

std::string MockApi::base_url() const { return url(kUsersPath); }

UserStore& MockApi::store() { return impl_->store; }

void MockApi::push_fault(Fault fault) {
  const std::lock_guard lock(impl_->mutex);
  impl_->faults.push_back(std::move(fault));
}

std::string MockApi::add_endpoint(EndpointSpec spec) {
  check_endpoint_spec(spec);
  if (impl_->find(spec.path))
    throw std::invalid_argument("path: \"" + spec.path + "\" is already served");
  const std::string path = spec.path;
  auto endpoint = std::make_unique<Endpoint>(std::move(spec));
  {
    const std::lock_guard lock(impl_->mutex);
    if (!impl_->endpoints.emplace(path, std::move(endpoint)).second)
      throw std::invalid_argument("path: \"" + path + "\" is already served");
  }
  return url(path);
}

std::string MockApi::url(const std::string& path) const {
  return "http://" + impl_->host + ":" + std::to_string(impl_->port) + path;
}

RecordStore& MockApi::records(const std::string& path) {
  Endpoint* endpoint = impl_->find(path);
  if (!endpoint) throw std::out_of_range("no mock endpoint at " + path);
  return endpoint->store;
}

void MockApi::set_serving(const std::string& path, const ServingOptions& serving) {
  Endpoint* endpoint = impl_->find(path);
  if (!endpoint) throw std::out_of_range("no mock endpoint at " + path);
  check_serving(serving, endpoint->spec.records_path, endpoint->spec.since_param);
  const std::lock_guard lock(impl_->mutex);
  endpoint->spec.serving = serving;
}

void MockApi::set_auth(const std::string& path, const AuthRequirement& auth) {
  Endpoint* endpoint = impl_->find(path);
  if (!endpoint) throw std::out_of_range("no mock endpoint at " + path);
  check_auth(auth);
  const std::lock_guard lock(impl_->mutex);
  endpoint->spec.auth = auth;
}

void MockApi::push_sign_in_fault(Fault fault) {
  const std::lock_guard lock(impl_->mutex);
  impl_->sign_in_faults.push_back(std::move(fault));
}

void MockApi::set_oauth(const OAuthOptions& options) {
  const std::lock_guard lock(impl_->mutex);
  impl_->oauth = options;
  impl_->refresh_token = options.refresh_token;
}

std::string MockApi::current_refresh_token() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->refresh_token;
}

std::size_t MockApi::token_requests() const { return impl_->token_count.load(); }

std::size_t MockApi::login_requests() const { return impl_->login_count.load(); }

void MockApi::expire_tokens() { impl_->tokens.expire_all(); }

std::size_t MockApi::peak_concurrent_requests() const { return impl_->load.peak_in_flight(); }

std::size_t MockApi::peak_requests_per_second() const { return impl_->load.peak_per_second(); }

std::size_t MockApi::peak_requests_per_second(const std::string& path) const {
  return impl_->load.peak_per_second(path);
}

void MockApi::reset_load_counters() { impl_->load.reset(); }

void MockApi::set_options(const Options& options) {
  check_serving(options, "data");
  check_auth(options.auth);
  const std::lock_guard lock(impl_->mutex);
  impl_->options = options;
}

void MockApi::set_request_hook(std::function<void(std::size_t data_request_number)> hook) {
  const std::lock_guard lock(impl_->mutex);
  impl_->hook = std::move(hook);
}

std::vector<std::string> MockApi::target_log() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->target_log;
}

std::vector<std::string> MockApi::authorization_log() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->authorization_log;
}

std::size_t MockApi::connection_count() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->connections.size();
}

std::vector<std::string> MockApi::since_log() const {
  const std::lock_guard lock(impl_->mutex);
  std::vector<std::string> log;
  for (const auto& [path, since] : impl_->since_log) log.push_back(since);
  return log;
}

std::vector<std::string> MockApi::since_log(const std::string& path) const {
  const std::lock_guard lock(impl_->mutex);
  std::vector<std::string> log;
  for (const auto& [p, since] : impl_->since_log)
    if (p == path) log.push_back(since);
  return log;
}

std::size_t MockApi::request_count() const { return impl_->requests.load(); }

}  // namespace tsync::mock
