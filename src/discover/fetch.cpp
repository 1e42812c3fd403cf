// SPDX-License-Identifier: Apache-2.0
#include "discover/fetch.hpp"

#include "common/errors.hpp"
#include "sync/observer.hpp"
#include "sync/request.hpp"
#include "sync/retry.hpp"
#include "sync/scheduler.hpp"

namespace tsync {

Response fetch_answer(const Config& config, const StreamConfig& stream, Authenticator* auth,
                      HttpSession& session, const std::string& url, FetchCounts& counts) {
  const HttpOptions http = http_options(config, stream);
  RateLimiter rate(stream.max_requests_per_second);
  const Transport net{http, auth, rate, session, nullptr};
  SyncObserver quiet;
  RunCounters io;
  Retrier retrier(config, quiet, io);
  for (;;) {
    try {
      ++io.requests;
      std::string where;
      const std::unique_ptr<HttpGet> get = open_response(stream, net, url, quiet, io, where);
      Response answer;
      answer.url = url;
      answer.status = get->status();
      for (const std::string& name : kDetectedHeaders)
        for (std::string& value : get->header_values(name.c_str()))
          answer.headers.emplace_back(name, std::move(value));
      for (std::string_view chunk = get->next_chunk(); !chunk.empty(); chunk = get->next_chunk()) {
        answer.body.append(chunk);
        if (answer.body.size() > kMaxSampleBytes)
          throw PermanentError(where + ": the answer is larger than " +
                               std::to_string(kMaxSampleBytes >> 20) +
                               " MiB; ask for a smaller page (a page size parameter in the URL)");
      }
      counts.requests += io.requests;
      counts.retries += io.retries;
      counts.logins += io.logins + io.token_requests;
      counts.bytes += static_cast<std::int64_t>(answer.body.size());
      return answer;
    } catch (const TransientError& e) {
      retrier.after(e);
    }
  }
}

}  // namespace tsync
