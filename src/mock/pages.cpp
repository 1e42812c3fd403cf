// SPDX-License-Identifier: Apache-2.0
#include "mock/pages.hpp"

#include <httplib.h>

#include <algorithm>
#include <cctype>

#include "mock/paging.hpp"
#include "mock/query_params.hpp"

namespace tsync::mock {
namespace {

// A page being made: its place among the view's records, and the body's
// members before (head) and after (tail) the records.
struct Draft {
  const httplib::Request& request;
  const Feed& feed;
  const View& view;
  const std::string& own_origin;
  Page& page;
  std::size_t from = 0, size = 0;
  std::string head, tail;

  const ServingOptions& serving() const { return feed.serving; }
  std::size_t total() const { return view.size(); }
};

std::string number(std::size_t n) { return std::to_string(n); }

// The origin of next links and next URLs: "" when relative, the configured
// one, or the server's own.
std::string next_origin(const ServingOptions& serving, const std::string& own_origin) {
  if (serving.relative_next) return "";
  if (!serving.next_origin.empty()) return serving.next_origin;
  return own_origin;
}

// The request's own URL with parameter `name` set to `value`.
std::string url_with(const Draft& d, const std::string& name, std::size_t value) {
  const std::size_t mark = d.request.target.find('?');
  const std::string_view target = d.request.target;
  const std::string_view path = target.substr(0, mark);
  const std::string_view query =
      mark == std::string::npos ? std::string_view() : target.substr(mark + 1);
  return next_origin(d.serving(), d.own_origin) + std::string(path) + "?" +
         with_query_param(query, name, std::to_string(value));
}

void link_header_page(Draft& d) {
  const ServingOptions& o = d.serving();
  d.size = size_param(d.request, "per_page", o, true);
  const std::size_t asked = page_param(d.request, "page");
  const std::size_t last = std::max<std::size_t>(1, (d.total() + d.size - 1) / d.size);
  d.from = std::min(d.total(), (asked - 1) * d.size);
  const bool more = o.repeat || asked < last;
  if (!more && asked <= 1) return;
  std::vector<std::string> links;
  if (asked > 1) links.push_back("<" + url_with(d, "page", asked - 1) + ">; rel=\"prev\"");
  if (more)
    links.push_back("<" + url_with(d, "page", o.repeat ? asked : asked + 1) + ">; rel=\"next\"");
  links.push_back("<" + url_with(d, "page", last) + ">; rel=\"last\"");
  if (asked > 1) links.push_back("<" + url_with(d, "page", 1) + ">; rel=\"first\"");
  std::string header;
  for (const std::string& link : links) header += (header.empty() ? "" : ", ") + link;
  d.page.headers.emplace_back("Link", header);
}

void next_url_page(Draft& d) {
  const ServingOptions& o = d.serving();
  d.size = size_param(d.request, "per_page", o, false);
  const std::size_t asked = page_param(d.request, "page");
  d.from = std::min(d.total(), (asked - 1) * d.size);
  d.tail = ",\"total_items\":" + number(d.total()) + ",\"page\":" + number(asked) +
           ",\"per_page\":" + number(d.size) + ",";
  append_json_string(d.tail, o.next_field);
  d.tail += ":";
  if (o.repeat || d.from + d.size < d.total()) {
    append_json_string(d.tail, url_with(d, "page", o.repeat ? asked : asked + 1));
  } else {
    d.tail += "null";
  }
}

void token_page(Draft& d) {
  const ServingOptions& o = d.serving();
  d.size = size_param(d.request, "limit", o, false);
  if (d.request.has_param("after")) {
    const std::string token = d.request.get_param_value("after");
    const auto text = base64_decode(token);
    std::string digits = text ? *text : "";
    if (!digits.empty() && digits.back() == '\n') digits.pop_back();
    if (digits.empty() || digits.size() > 9 ||
        digits.find_first_not_of("0123456789") != std::string::npos)
      throw Refusal{"after is not a paging token of this list: \"" + token + "\""};
    d.from = std::min<std::size_t>(d.total(), std::stoul(digits));
  }
  if (o.repeat || d.from + d.size < d.total()) {
    // As HubSpot's: Base64 of the next offset and a newline.
    const std::string token = base64_encode(number(o.repeat ? d.from : d.from + d.size) + "\n");
    d.tail = ",\"paging\":{\"next\":{\"after\":";
    append_json_string(d.tail, token);
    d.tail += ",\"link\":";
    append_json_string(d.tail, "?after=" + percent_encoded(token));
    d.tail += "}}";
  }
}

void last_record_page(Draft& d) {
  const ServingOptions& o = d.serving();
  d.size = size_param(d.request, "limit", o, false);
  if (!o.repeat && d.request.has_param("starting_after")) {
    const std::string id = d.request.get_param_value("starting_after");
    const auto index = d.feed.record_index(id);
    std::size_t k = 0;
    while (index && k < d.total() && d.feed.catalog->slot(d.view.at(k)).record != *index) ++k;
    if (!index || k == d.total()) throw Refusal{"No such object: '" + id + "'"};
    d.from = k + 1;
  }
  d.head = "\"object\":\"list\",\"url\":";
  append_json_string(d.head, d.feed.path);
  d.head += ",\"has_more\":";
  d.head += o.repeat || d.from + d.size < d.total() ? "true," : "false,";
}

void offset_page(Draft& d) {
  const ServingOptions& o = d.serving();
  d.size = size_param(d.request, "limit", o, false);
  const std::size_t offset = o.repeat ? 0 : whole_param(d.request, "offset").value_or(0);
  d.from = std::min(d.total(), offset);
  d.tail = ",\"offset\":" + number(offset) + ",\"limit\":" + number(d.size) +
           ",\"total\":" + number(d.total());
}

void page_number_page(Draft& d) {
  const ServingOptions& o = d.serving();
  d.size = size_param(d.request, "per_page", o, false);
  const std::size_t asked = o.repeat ? 1 : page_param(d.request, "page");
  d.from = std::min(d.total(), (asked - 1) * d.size);
  d.tail = ",\"page\":" + number(asked) + ",\"page_size\":" + number(d.size) +
           ",\"total_pages\":" + number((d.total() + d.size - 1) / d.size) +
           ",\"total_items\":" + number(d.total());
}

// JsonServer: the order _sort and _order ask for: creation order without
// _sort (json-server's is the order records were added in), else by the
// cursor, ties in creation order (lodash's orderBy is stable). Sorting by any
// other field is refused: the mock cannot.
Order json_server_order(const httplib::Request& request, const Feed& feed) {
  if (!request.has_param("_sort")) return Order::ByKey;
  const std::string sort = request.get_param_value("_sort");
  const std::string first = sort.substr(0, sort.find(','));
  if (first != feed.cursor_field)
    throw Refusal{"_sort: the mock sorts by " + feed.cursor_field + " only, not \"" + sort + "\""};
  std::string order = request.get_param_value("_order");
  order = order.substr(0, order.find(','));
  std::transform(order.begin(), order.end(), order.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return order == "desc" ? Order::NewestFirst : Order::Ascending;
}

// JsonServer, as lib/server/router/plural.js of json-server 0.17.4: with
// _page, the records of that page (from 1; 10 without _limit) and its Link
// (json_server_links); with _limit alone, the first _limit records; with
// either, X-Total-Count.
void json_server_page(Draft& d) {
  const ServingOptions& o = d.serving();
  const std::size_t total = d.total();
  const bool paged = d.request.has_param("_page");
  d.size = total;
  if (!paged && !d.request.has_param("_limit")) return;
  d.page.headers.emplace_back("X-Total-Count", std::to_string(total));
  d.page.headers.emplace_back("Access-Control-Expose-Headers",
                              paged ? "X-Total-Count, Link" : "X-Total-Count");
  const auto limit = js_positive_int(d.request.get_param_value("_limit"));
  if (!paged) {
    d.size = limit.value_or(total);
    return;
  }
  d.size = limit.value_or(o.page_size ? o.page_size : page_limits(o.paging).default_size);
  const std::size_t current = js_positive_int(d.request.get_param_value("_page")).value_or(1);
  d.from = std::min(total, (current - 1) * d.size);
  d.page.headers.emplace_back(
      "Link", json_server_links(next_origin(o, d.own_origin) + d.request.target, current, d.size,
                                total, o.repeat));
}

// The instant just before `t` in the precision `format` serves.
Instant just_before(Instant t, CursorFormat format) {
  if (format == CursorFormat::UnixSeconds) return Instant{t.seconds - 1, t.nanos};
  if (t.nanos >= 1'000'000) return Instant{t.seconds, t.nanos - 1'000'000};
  return Instant{t.seconds - 1, t.nanos + 999'000'000};
}

// Keyset: a page of page_size records (50 by default) after since or strictly
// after the scroll_param's cursor, extended so that it never splits an instant.
void keyset_page(const httplib::Request& request, const Feed& feed, std::optional<Instant> since,
                 Selection& s) {
  const ServingOptions& o = feed.serving;
  const Catalog& c = *feed.catalog;
  if (const auto after = scroll_cursor(request, feed)) {
    s.begin = c.first_after(*after);
  } else {
    s.begin = feed.begin(since);
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

}  // namespace

std::optional<Instant> scroll_cursor(const httplib::Request& request, const Feed& feed) {
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

Page make_page(const httplib::Request& request, const Feed& feed, std::optional<Instant> since,
               std::size_t request_number, KeyOrders& key_orders, const std::string& own_origin) {
  const ServingOptions& o = feed.serving;
  Page page;
  Selection& s = page.selection;
  s.catalog = feed.catalog;
  if (o.paging == PagingStyle::Keyset) {
    keyset_page(request, feed, since, s);
    shuffle(s, feed, request_number);
    return page;
  }

  const View v = view(
      feed, since, o.paging == PagingStyle::JsonServer ? json_server_order(request, feed) : o.order,
      key_orders);
  Draft d{request, feed, v, own_origin, page, 0, 0, {}, {}};
  switch (o.paging) {
    case PagingStyle::LinkHeader:
      link_header_page(d);
      break;
    case PagingStyle::NextUrl:
      next_url_page(d);
      break;
    case PagingStyle::Token:
      token_page(d);
      break;
    case PagingStyle::LastRecord:
      last_record_page(d);
      break;
    case PagingStyle::Offset:
      offset_page(d);
      break;
    case PagingStyle::PageNumber:
      page_number_page(d);
      break;
    case PagingStyle::JsonServer:
      json_server_page(d);
      break;
    case PagingStyle::Keyset:
    case PagingStyle::None:
      break;
  }
  const std::size_t to = std::min(d.total(), d.from + d.size);
  s.indices.reserve(to - d.from);
  for (std::size_t k = d.from; k < to; ++k) s.indices.push_back(v.at(k));
  s.end = s.indices.size();
  Framing framing = frame_records(feed.records_path, d.head, d.tail);
  s.prefix = std::move(framing.prefix);
  s.suffix = std::move(framing.suffix);
  shuffle(s, feed, request_number);
  return page;
}

}  // namespace tsync::mock
