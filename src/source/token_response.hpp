// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "common/redact.hpp"
#include "source/pagination.hpp"

namespace tsync {

struct AuthConfig;

// An OAuth2 token endpoint's answer (RFC 6749, section 5.1).
struct TokenResponse {
  std::string access_token;
  std::optional<double> expires_in;  // seconds
  std::optional<std::string> refresh_token;
};

// Reads a token endpoint's answer: a JSON object, or form-encoded fields
// (`content_type` application/x-www-form-urlencoded, or a body of fields with
// an access_token or an error, as GitHub's endpoint answers unless asked for
// JSON). Throws PermanentError naming `token_url`, the status and the answer's
// "error" and "error_description" (RFC 6749, section 5.2) for an error, with
// what to do naming the environment variables of `config` when given; for an
// answer without an access_token; and for an answer of another format, quoted
// by quote_answer. Every text of the answer passes through quote_answer.
TokenResponse parse_token_response(std::string_view body, long status, const std::string& token_url,
                                   const Redactor& redactor, std::string_view content_type = "",
                                   const AuthConfig* config = nullptr);

// An answer of a login or token endpoint made fit for a message, whatever its
// format (JSON, form-encoded, plain text, HTML): the values of access_token,
// refresh_token, id_token, token and of the last key of `token_path` masked
// wherever they appear (field_values, and in JSON at any depth), every secret
// of `redactor` masked, control characters made spaces, and cut after 300
// characters ("..." then ends it).
std::string quote_answer(std::string_view body, const Redactor& redactor,
                         const JsonPath& token_path = {});

// The value at `path` in `doc` as text (a string, or a number's digits); "" when
// absent or of another kind.
std::string text_at(const rapidjson::Value& doc, const JsonPath& path);

}  // namespace tsync
