// SPDX-License-Identifier: Apache-2.0
#include "sync/request.hpp"

#include "common/timestamp.hpp"

namespace tsync {
namespace {

constexpr std::size_t kErrorBodyLimit = 300;

std::string read_error_body(HttpGet& get) {
  std::string text;
  try {
    while (text.size() < kErrorBodyLimit) {
      const std::string_view chunk = get.next_chunk();
      if (chunk.empty()) break;
      text.append(chunk.substr(0, kErrorBodyLimit - text.size()));
    }
  } catch (const Interrupted&) {
    throw;
  } catch (const RunDeadline&) {
    throw;
  } catch (const Error&) {
    // The status says enough; the body was only for context.
  }
  for (char& c : text)
    if (static_cast<unsigned char>(c) < ' ') c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

std::string status_hint(long status, const StreamConfig& stream, const Authenticator* auth) {
  if ((status == 401 || status == 403) && auth)
    return " (stream \"" + stream.name + "\": the API refused " + auth->describe() + ")";
  if (status == 401 || status == 403)
    return " (stream \"" + stream.name + "\": " +
           (stream.token_env
                ? "the API refused the bearer token: check the token in $" + *stream.token_env
                : std::string("the API wants credentials: set auth or token_env in "
                              "the configuration")) +
           ")";
  if (status == 404) return " (check the stream's url)";
  return "";
}

}  // namespace

std::unique_ptr<HttpGet> open_response(const StreamConfig& stream, const Transport& net,
                                       const std::string& url, SyncObserver& observer,
                                       RunCounters& io, std::string& where) {
  const HttpOptions& http = net.http;
  Authenticator* const auth = net.auth;
  RateLimiter& rate = net.rate;
  HttpSession& session = net.session;
  std::unique_ptr<HttpGet> get;
  long status = 0;
  std::uint64_t signed_with = 0;
  const auto signing_in = [&](const SignIn& sign_in) {
    const bool login = sign_in.kind == SignIn::Kind::Login;
    ++(login ? io.logins : io.token_requests);
    observer.on_sign_in(login, sign_in.url, sign_in.reason, sign_in.renewal);
  };
  for (;;) {
    rate.acquire();
    observer.on_request(url);
    if (auth) {
      HttpOptions signed_options = http;
      signed_with = auth->apply(signed_options, signing_in);
      get = std::make_unique<HttpGet>(signed_options, url, &session);
    } else {
      get = std::make_unique<HttpGet>(http, url, &session);
    }
    status = get->status();
    observer.on_response(status, get->content_length());
    if (status == 401 && auth && !get->secrets_withheld() && auth->renew_after_refusal(signed_with)) {
      read_error_body(*get);  // the connection stays usable
      ++io.requests;          // the same request again, with a new login or token
      ++io.retries;
      continue;
    }
    break;
  }
  where = "GET " + get->url() + ": HTTP " + std::to_string(status);
  if (status == 429 && get->retry_after_seconds() > 0)
    rate.pause(get->retry_after_seconds());  // every request to the stream waits
  if (status == 408 || status == 429 || status >= 500) {
    const std::string body = read_error_body(*get);
    throw TransientError(where + (body.empty() ? "" : ": " + body), get->retry_after_seconds());
  }
  if (status < 200 || status >= 300) {
    const std::string body = read_error_body(*get);
    throw PermanentError(
        where + (body.empty() ? "" : ": " + body) + status_hint(status, stream, auth), status);
  }
  if (auth) auth->accepted();
  return get;
}

HttpOptions http_options(const Config& config, const StreamConfig& stream) {
  HttpOptions http;
  http.timeout_seconds = config.timeout_seconds;
  http.ca_file = config.ca_file.value_or("");
  http.bearer_token = stream.token;
  http.min_bytes_per_second = config.min_bytes_per_second;
  http.redactor = config.redactor;
  http.credentials_origin = stream.url;
  for (const HeaderSetting& h : stream.headers)
    http.headers.push_back(HttpHeader{h.name, h.value, h.env.has_value()});
  return http;
}

std::shared_ptr<Authenticator> make_authenticator(const Config& config,
                                                  const StreamConfig& stream) {
  if (!stream.auth) return nullptr;
  HttpOptions transport;
  transport.timeout_seconds = config.timeout_seconds;
  transport.ca_file = config.ca_file.value_or("");
  transport.min_bytes_per_second = config.min_bytes_per_second;
  return std::make_shared<Authenticator>(
      stream.auth, transport, config.redactor,
      credentials_path(config.database, stream.auth->credentials_file));
}

std::string since_value(const StreamConfig& stream, const Cursor& committed) {
  return stream.lookback_seconds > 0
             ? format_cursor(stream.cursor_format,
                             minus_seconds(committed.instant, stream.lookback_seconds))
             : committed.text;
}

std::string request_url(const StreamConfig& stream, const Cursor& committed) {
  std::string url = stream.url;
  char separator = '?';
  auto add = [&](const std::string& name, const std::string& value) {
    url += separator;
    append_url_encoded(url, name);
    url += '=';
    append_url_encoded(url, value);
    separator = '&';
  };
  for (const auto& [name, value] : stream.params) add(name, value);
  if (!stream.since_param.empty()) add(stream.since_param, since_value(stream, committed));
  return url;
}

}  // namespace tsync
