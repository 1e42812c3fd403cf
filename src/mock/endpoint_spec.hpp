// SPDX-License-Identifier: Apache-2.0
#pragma once

// How one endpoint of the mock API serves its records: path, body shape, cursor,
// `since` parameter, required parameters, and how it pages and reads `since`.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "mock/record_store.hpp"

namespace tsync::mock {

// The path the users are served under; MockApi::base_url() ends with it.
inline constexpr const char* kUsersPath = "/incremental/timestamp";
// The sign-in endpoints, one of each for every endpoint of the mock: the session
// login (shaped like the Fivetran playground's) and the OAuth2 token endpoint
// (shaped like HubSpot's). Both are POST requests.
inline constexpr const char* kLoginPath = "/auth/session_token/login";
inline constexpr const char* kTokenPath = "/oauth/v1/token";

// What a data request of an endpoint must carry; a request without it gets 401.
//   None     nothing
//   Bearer   `Authorization: Bearer <secret>`
//   Basic    `Authorization: Basic <Base64 of username:password>`
//   ApiKey   `<prefix><secret>` in header `name`, or in query parameter `name`
//            when in_query
//   Session  `<prefix><token>` in header `name`, the token one that a POST to
//            kLoginPath with this username and password answered; an empty
//            prefix means "Token ", the playground's
//   OAuth2   `Authorization: Bearer <access token>`, an access token that
//            kTokenPath issued and that has not expired
// A refusal is a 401: with a small HTML page (as the Fivetran playground's) for
// Bearer, Basic and ApiKey, and `WWW-Authenticate` for Bearer and Basic; with a
// JSON error for Session and OAuth2.
struct AuthRequirement {
  enum class Kind { None, Bearer, Basic, ApiKey, Session, OAuth2 };
  Kind kind = Kind::None;
  std::string username, password;      // Basic; Session: the login's credentials
  std::string secret;                  // Bearer: the token; ApiKey: the key
  std::string name = "Authorization";  // ApiKey, Session: the header or query parameter name
  bool in_query = false;               // ApiKey: a query parameter instead of a header
  std::string prefix;  // ApiKey: e.g. "apiKey " or "Token " before the key; Session: before the
                       // token (empty: "Token ")
};

// The command-line names: none bearer basic api_key session oauth2.
std::string_view auth_kind_name(AuthRequirement::Kind kind);

// Reads the command-line form of an AuthRequirement (':' separates its parts):
//   none
//   basic:USER:PASSWORD                 (USER without ':'; PASSWORD the rest)
//   bearer:TOKEN
//   api_key:header:NAME:PREFIX:KEY      (PREFIX may be empty; KEY the rest)
//   api_key:query:NAME:PREFIX:KEY
//   session:USER:PASSWORD[:PREFIX]      (PREFIX the rest; default "Token ")
//   oauth2                              (the token endpoint's settings are the server's)
// Throws std::invalid_argument saying which form was expected; the message does
// not repeat the secrets.
AuthRequirement parse_auth_spec(std::string_view text);

// The help text of parse_auth_spec's syntax, for --help.
extern const char* const kAuthSpecHelp;

// Checks that `auth` names what its kind needs (a username without ':' for
// Basic and Session, a token or key for Bearer and ApiKey, a header or
// parameter name for ApiKey and Session). Throws std::invalid_argument
// starting with "auth: ".
void check_auth(const AuthRequirement& auth);

// How the server reads `since`.
enum class SinceMode {
  Exclusive,  // records with a cursor > since, as the contract says
  Inclusive,  // records with a cursor >= since
  Ignored,    // every record, whatever since says
};

// How an endpoint pages, each style shaped like the real API it is named after.
// Every style filters by since (per SinceMode), orders by Order, then slices; a
// page may split the records of one instant, except with None and Keyset.
//   None        today's contract: a response holds the records after since, at
//               most page_size of them (rounded up so as not to split an instant)
//   LinkHeader  GitHub REST: page, per_page; a `Link` header with rel="next",
//               "last", and from page 2 on "prev" and "first"
//   NextUrl     Fivetran's next_page_url, Microsoft Graph: page, per_page; the
//               next URL in the body at next_field, null on the last page
//   Token       HubSpot CRM v3: after, limit; {"paging": {"next": {"after", "link"}}}
//               until the last page, which has no "paging"
//   LastRecord  Stripe list: starting_after (an id), limit; "has_more"
//   Offset      Fivetran's offset: offset, limit; "offset", "limit", "total"
//   PageNumber  Fivetran's page_number: page, per_page; "page", "page_size",
//               "total_pages", "total_items"
//   Keyset      Fivetran's keyset: since first, then scroll_param alone: Base64 of
//               the page's last cursor, later pages strictly after it
//   JsonServer  json-server 0.17.4: _page, _limit (default 10, no largest),
//               _sort (the cursor field; none: creation order), _order (asc or
//               desc); a bare array; with _page or _limit `X-Total-Count`; with
//               _page a `Link` header of first, prev, next, last as json-server
//               makes them, and `Link: ` with nothing in it when the answer fits
//               one page or the page is past the end. Its `<field>_gte` filter is
//               inclusive: name it as the since parameter with SinceMode::Inclusive.
enum class PagingStyle {
  None,
  LinkHeader,
  NextUrl,
  Token,
  LastRecord,
  Offset,
  PageNumber,
  Keyset,
  JsonServer
};

// The order records are paged in.
//   Ascending:   by cursor instant, then creation (the serving order of the stores)
//   NewestFirst: by cursor instant descending, then creation descending (Stripe)
//   ByKey:       by creation, which is the order of integer keys; raw records last
enum class Order { Ascending, NewestFirst, ByKey };

// The command-line names: none link_header next_url token last_record offset
// page_number keyset json_server; ascending newest_first by_key.
std::string_view paging_style_name(PagingStyle style);
std::optional<PagingStyle> paging_style_from_name(std::string_view name);
std::string_view order_name(Order order);
std::optional<Order> order_from_name(std::string_view name);

// The page sizes of a paging style: the default when the request names none and
// page_size is 0, and the most a request may ask for when max_page_size is 0.
// Keyset takes no size from the request: its page is page_size or 50 records;
// JsonServer has no largest (max_size 0).
struct PageLimits {
  std::size_t default_size = 0;
  std::size_t max_size = 0;
};
PageLimits page_limits(PagingStyle style);

// How an endpoint's responses are cut and ordered; changeable while serving.
struct ServingOptions {
  // With PagingStyle::None: records per response at most; 0 serves everything in
  // one response. With a paging style: the page size when the request does not
  // give one (0: the style's default), cut to the largest allowed.
  std::size_t page_size = 0;
  SinceMode since_mode = SinceMode::Exclusive;
  // Serve each response's records in a shuffled order.
  bool unsorted = false;
  // Body bytes per second per response; 0 for as fast as the socket takes them.
  std::size_t rate_limit_bytes_per_second = 0;
  PagingStyle paging = PagingStyle::None;
  Order order = Order::Ascending;
  // 400 on any query parameter the endpoint does not know: its since parameter,
  // its required parameters and its paging style's are known.
  bool strict = false;
  // Slept before every data response.
  std::chrono::milliseconds latency{0};
  // A looping API: the next link, next URL, token or scroll value points at the
  // page just served; Offset, PageNumber and LastRecord ignore their position
  // parameter and always serve the first page (LastRecord with has_more true).
  bool repeat = false;
  // "http://host:port" put in next links and next URLs instead of the server's
  // own origin; empty for the server's own.
  std::string next_origin;
  // NextUrl: the body key that holds the next URL ("@odata.nextLink" for Graph).
  std::string next_field = "next_page_url";
  // LinkHeader and NextUrl: next URLs as "/path?query" instead of absolute.
  bool relative_next = false;
  // The largest page a request may ask for; 0 for the style's (page_limits).
  std::size_t max_page_size = 0;
  // The query parameter of the window's end: "" for none; else only records
  // with a cursor < until are served (in the endpoint's cursor format, read
  // with parse_cursor as since is; since still applies per since_mode). Every
  // page of every style holds to it; Keyset takes it beside scroll_param too.
  std::string until_param;
  // > 0: a request must carry both since (or Keyset's scroll_param) and
  // until_param, with until - since <= this many seconds, else 400 with a JSON
  // error saying so, as reporting APIs that answer at most a day per query.
  std::int64_t max_range_seconds = 0;
};

// Checks what the paging of `serving` needs from an endpoint whose records are
// at `records_path` and whose since parameter is `since_param`: a body style
// needs a body object (records_path not empty), JsonServer a bare array
// (records_path empty), Keyset pages in ascending order
// only, a next origin is "http://host[:port]", an until parameter is not the
// since parameter, and a largest range needs both parameters and is not
// negative. Throws std::invalid_argument naming the key.
void check_serving(const ServingOptions& serving, const std::string& records_path,
                   const std::string& since_param = "since");

// A generic endpoint: GET <path>?<since_param>=T&<required params> serves the
// records of a RecordStore built from (schema, records, seed).
struct EndpointSpec {
  std::string path = "/v1/records";
  std::size_t records = 1000;
  std::uint64_t seed = 1;
  RecordSchema schema;
  // Dotted path of the records array in the body: "data" gives {"data":[...]},
  // "result.items" gives {"result":{"items":[...]}}, "" gives the bare array.
  std::string records_path = "data";
  // The query parameter read as the cursor; empty for an endpoint without an
  // updated filter (Stripe): no since is read and, when strict, one is refused.
  std::string since_param = "since";
  // Parameters every request must carry with exactly these values; a request
  // without one, or with another value, gets 400 and a JSON error naming it.
  std::map<std::string, std::string> required_params;
  ServingOptions serving;
  // What its data requests must carry.
  AuthRequirement auth;
};

// Reads the command-line form of an EndpointSpec: comma-separated key=value
// pairs, e.g.
//   path=/v1/orders,records=1000,key=composite,cursor_field=updated_at,
//   cursor_format=unix_millis,since_param=updated_since,records_path=results,
//   require=api_version:2,fields=amount:float;qty:integer;tags:array
// Keys: path (required, starts with '/'), records, seed, key (uuid | integer |
// composite), cursor_field, cursor_format (iso8601 | unix_seconds | unix_millis),
// since_param, records_path, require (name:value;...), fields (name:kind;...;
// kinds: string integer bigint float bool null object array numeric_string),
// page_size, since_mode (exclusive | inclusive | ignored), unsorted (true | false),
// rate, paging (paging_style_name), order (order_name), strict, repeat,
// relative_next (true | false), latency_ms, max_page_size, next_field,
// next_origin, until_param, max_range_seconds, auth (parse_auth_spec's form).
// Throws std::invalid_argument naming the offending key or value.
EndpointSpec parse_endpoint_spec(std::string_view text);

// The help text of parse_endpoint_spec's syntax, for --help.
extern const char* const kEndpointSpecHelp;

// Checks what parse_endpoint_spec cannot see in one key: a path that starts with
// '/' and is not taken by the users, admin or sign-in endpoints, a records path
// of non-empty dotted names, check_serving and check_auth. Throws
// std::invalid_argument.
void check_endpoint_spec(const EndpointSpec& spec);

}  // namespace tsync::mock
