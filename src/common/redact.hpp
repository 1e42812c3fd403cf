// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace tsync {

// Masks secrets (API tokens, secret header values) in any text tsync is about
// to write: messages, logs, error texts built from response bodies, URLs and
// libcurl's own messages. Every occurrence of a secret is replaced, wherever it
// appears in the text and whoever put it there, and so are its common
// encodings:
//   - URL-encoded (as append_url_encoded does, with upper- or lowercase hex,
//     and with '+' for a space),
//   - JSON-escaped ('/', '"', '\' and control characters escaped),
//   - Base64 and base64url, on its own and inside a longer Base64 text at any
//     alignment (as in "Basic " + Base64 of "user:secret"); there only the
//     characters that depend on the secret alone are masked, so a few bits at
//     either end can remain;
//   - for a value "user:password", the password on its own too (when it has at
//     least kMinSecretLength characters).
// Where matches overlap (a secret that overlaps itself, or one secret inside
// another), the union of all matched ranges is masked, so no fragment of a
// secret is left between two masks. Copyable; thread-safe: a secret obtained
// at run time (an access token) may be added while other threads redact.
class Redactor {
 public:
  Redactor() = default;
  Redactor(const Redactor& other);
  Redactor& operator=(const Redactor& other);

  static constexpr std::string_view kMask = "[redacted]";
  // A shorter secret would mask innocent text; add_secret refuses it.
  static constexpr std::size_t kMinSecretLength = 4;

  // Adds a secret and its encodings. Throws std::invalid_argument (without the
  // value in its message) for a value shorter than kMinSecretLength.
  void add_secret(std::string_view value);
  // The text with every secret replaced by kMask.
  std::string redact(std::string_view text) const;
  // True when no secret was added: redact() returns its text unchanged.
  bool empty() const;

 private:
  void add_forms(std::string_view value);
  void add_pattern(std::string pattern);

  mutable std::shared_mutex mutex_;    // guards patterns_
  std::vector<std::string> patterns_;  // every form of every secret, longest first
};

// The values of the fields named `names` in `text`, whatever its format: JSON
// ("access_token": "v"), form-encoded (access_token=v&...), plain text
// (access_token: v) or HTML (<td>access_token</td><td>v</td>, name="token"
// value="v"). A name matches whole, without regard to case; a value runs to
// the next quote, '&', ',', ';', '<', '>', bracket, backslash or white space.
// For the secrets a login or token endpoint puts in its answers: every value
// found is masked by mask_field_values, and may be added to a Redactor.
std::vector<std::string> field_values(std::string_view text, const std::vector<std::string>& names);

// `text` with the value of every field named `names` (field_values) replaced
// by Redactor::kMask.
std::string mask_field_values(std::string_view text, const std::vector<std::string>& names);

// Base64 (RFC 4648, standard alphabet, padded) of `bytes`: for Basic credentials.
std::string base64_encode(std::string_view bytes);

}  // namespace tsync
