// SPDX-License-Identifier: Apache-2.0
#pragma once

// `tsync init URL`: asks an API once and proposes a stream of
// configuration.json for it, saying per key what it saw and how sure it is;
// with --write, adds the stream to a configuration file.

#include <string>
#include <vector>

#include "discover/detect.hpp"
#include "discover/fetch.hpp"

namespace tsync {

struct InitOptions {
  std::string url;                  // the endpoint, with the query to send
  std::string name;                 // the stream's name; empty: from the URL's path
  std::vector<std::string> headers;  // "Name: value", or "Name: $VAR" from the environment
  // How to sign in: "VAR" (a bearer token), "basic:USER_VAR:PASSWORD_VAR",
  // "api_key:header:NAME:VAR[:PREFIX]" or "api_key:query:NAME:VAR"; empty: none.
  std::string auth_env;
  std::string since_param;  // the time filter's name when the answer cannot show it
};

// What init found.
struct InitResult {
  std::string name;       // the stream's name
  Proposal proposal;      // what the answer showed
  std::string request;    // "GET <url>: HTTP 200, 30 records, 4.1 kB"
  std::string stream_json;  // the stream as a JSON object (empty when not usable)
  // Records, a cursor field and a key were found: the stream can sync.
  bool usable = false;
  FetchCounts counts;
};

// The stream name a URL's path suggests: its last segment that is not a
// version or a generic word ("cursor", "list", ...), ".json" dropped, other
// characters than letters, digits and '_' made '_'; "records" when none.
std::string stream_name_for(const std::string& url);

// Asks `options.url` once (signing in as the options say; secrets are taken
// from the environment and never printed) and reads a stream off the answer.
// Throws ConfigError for a malformed option (naming it), and the request's
// errors as a sync does.
InitResult propose_stream(const InitOptions& options);

// The whole configuration printed to stdout: {"streams": [<stream>]}.
std::string configuration_json(const std::string& stream_json);

// A person's report of what init saw: one line per key (its value, how sure,
// what was seen), then the warnings.
std::string init_report(const InitResult& result);

// Adds the stream to the configuration file at `path` (created when absent;
// a short-form file, {"base_url": ...}, is rewritten in the long form with the
// same meaning). Refuses, with ConfigError, a stream or table of the same name,
// a file that is not a configuration; the file is replaced whole, never left
// half written. Returns what was done, for the person.
std::string add_stream_to_file(const std::string& path, const std::string& stream_json,
                               const std::string& name);

}  // namespace tsync
