#pragma once

// How one endpoint of the mock API serves its records: path, body shape, cursor,
// `since` parameter, required parameters, and how it pages and reads `since`.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "mock/record_store.hpp"

namespace tsync::mock {

// The path the users are served under; MockApi::base_url() ends with it.
inline constexpr const char* kUsersPath = "/incremental/timestamp";

// How the server reads `since`.
enum class SinceMode {
  Exclusive,  // records with a cursor > since, as the contract says
  Inclusive,  // records with a cursor >= since
  Ignored,    // every record, whatever since says
};

// How an endpoint's responses are cut and ordered; changeable while serving.
struct ServingOptions {
  // Records per response at most; 0 serves everything in one response.
  std::size_t page_size = 0;
  SinceMode since_mode = SinceMode::Exclusive;
  // Serve each response's records in a shuffled order.
  bool unsorted = false;
  // Body bytes per second per response; 0 for as fast as the socket takes them.
  std::size_t rate_limit_bytes_per_second = 0;
};

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
  std::string since_param = "since";
  // Parameters every request must carry with exactly these values; a request
  // without one, or with another value, gets 400 and a JSON error naming it.
  std::map<std::string, std::string> required_params;
  ServingOptions serving;
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
// rate. Throws std::invalid_argument naming the offending key or value.
EndpointSpec parse_endpoint_spec(std::string_view text);

// The help text of parse_endpoint_spec's syntax, for --help.
extern const char* const kEndpointSpecHelp;

// Checks what parse_endpoint_spec cannot see in one key: a path that starts with
// '/' and is not taken by the users or admin endpoints, a records path of
// non-empty dotted names. Throws std::invalid_argument.
void check_endpoint_spec(const EndpointSpec& spec);

}  // namespace tsync::mock
