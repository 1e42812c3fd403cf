// SPDX-License-Identifier: Apache-2.0
#pragma once

// One answer of an API read whole, for `tsync init` and `tsync check`: signed
// as the stream's requests are, retried after transient faults as a sync
// retries them, its body held in memory up to kMaxSampleBytes.

#include <cstdint>
#include <string>

#include "config/config.hpp"
#include "discover/detect.hpp"
#include "source/auth.hpp"
#include "source/http_client.hpp"

namespace tsync {

// The largest body read for detection: a first page, not a whole export.
inline constexpr std::uint64_t kMaxSampleBytes = 64ull << 20;

// What fetching costs, for the summary.
struct FetchCounts {
  std::int64_t requests = 0, retries = 0, bytes = 0, logins = 0;
};

// GETs `url` for `stream` (its headers, token or `auth`; `auth` may be null)
// and returns the answer with its status, kDetectedHeaders and body. A 2xx is
// returned; any other status throws as a sync's request does (PermanentError
// with the status, the start of the body and what to check). Throws
// PermanentError when the body is larger than kMaxSampleBytes.
Response fetch_answer(const Config& config, const StreamConfig& stream, Authenticator* auth,
                      HttpSession& session, const std::string& url, FetchCounts& counts);

}  // namespace tsync
