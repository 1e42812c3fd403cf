// SPDX-License-Identifier: Apache-2.0
#include "source/http_client.hpp"

#include <curl/curl.h>
#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <system_error>

#include "common/errors.hpp"

namespace tsync {
namespace {

struct CurlEasyDeleter {
  void operator()(CURL* h) const noexcept { curl_easy_cleanup(h); }
};
struct CurlMultiDeleter {
  void operator()(CURLM* h) const noexcept { curl_multi_cleanup(h); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};

// libcurl's global state, set up once before the first handle.
void global_init() {
  static const CURLcode result = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (result != CURLE_OK)
    throw Error(std::string("cannot initialise libcurl: ") + curl_easy_strerror(result));
}

// Pause the transfer once this much body is waiting to be parsed.
constexpr std::size_t kBufferLimit = 1 << 20;

bool is_permanent(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_LOGIN_DENIED:
      return true;
    default:
      return false;
  }
}

constexpr int kMaxRedirects = 10;

bool is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// RFC 9110 token characters, what a header name is made of.
bool is_token(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

bool has_line_break(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// Headers that carry credentials whatever the configuration says.
bool is_credential_header(std::string_view name) {
  const std::string lower = lowercase(std::string(name));
  return lower == "authorization" || lower == "proxy-authorization" || lower == "cookie";
}

bool is_secret(const HttpHeader& header) {
  return header.secret || is_credential_header(header.name);
}

// The secrets of `options`, with those of its redactor.
Redactor redactor_for(const HttpOptions& options) {
  Redactor redactor = options.redactor ? *options.redactor : Redactor();
  if (!options.bearer_token.empty()) redactor.add_secret(options.bearer_token);
  if (options.query_secret_value.size() >= Redactor::kMinSecretLength)
    redactor.add_secret(options.query_secret_value);
  for (const auto& header : options.headers)
    if (is_secret(header)) redactor.add_secret(header.value);
  return redactor;
}

}  // namespace

struct HttpSession::Pool {
  std::unique_ptr<CURLM, CurlMultiDeleter> multi;
  std::unique_ptr<CURL, CurlEasyDeleter> spare;  // the last request's easy handle
  std::string buffer;                            // the last request's body buffer
};

HttpSession::HttpSession() : pool_(std::make_unique<Pool>()) {
  global_init();
  pool_->multi.reset(curl_multi_init());
  if (!pool_->multi) throw Error("cannot create an HTTP handle (out of memory)");
}

HttpSession::~HttpSession() = default;

void check_http_options(const HttpOptions& options) {
  if (options.min_bytes_per_second < 0)
    throw ConfigError("min_bytes_per_second: must be 0 or more");
  if (has_line_break(options.bearer_token))
    throw ConfigError("the bearer token holds a line break or NUL character");
  for (const auto& header : options.headers) {
    if (!is_token(header.name)) {
      std::string shown = header.name;
      for (char& c : shown)
        if (static_cast<unsigned char>(c) < ' ' || c == 0x7f) c = '?';
      throw ConfigError("header \"" + shown +
                        "\": a header name is one or more letters, digits or !#$%&'*+-.^_`|~");
    }
    if (has_line_break(header.value))
      throw ConfigError("header " + header.name +
                        ": its value holds a line break or NUL character");
  }
  const auto check_length = [](std::string_view value, const std::string& what) {
    if (value.size() < Redactor::kMinSecretLength)
      throw ConfigError(what + ": a secret must have at least " +
                        std::to_string(Redactor::kMinSecretLength) + " characters, this one has " +
                        std::to_string(value.size()));
  };
  if (!options.bearer_token.empty()) check_length(options.bearer_token, "the bearer token");
  for (const auto& header : options.headers)
    if (is_secret(header)) check_length(header.value, "header " + header.name);
}

struct HttpGet::Handles {
  std::unique_ptr<CURLM, CurlMultiDeleter> own_multi;  // without a session
  CURLM* multi = nullptr;                              // own_multi's or the session's
  HttpSession::Pool* pool = nullptr;                   // the session's, if any
  std::unique_ptr<CURL, CurlEasyDeleter> easy;
  std::unique_ptr<curl_slist, CurlSlistDeleter> headers;
  bool attached = false;

  ~Handles() {
    if (attached) curl_multi_remove_handle(multi, easy.get());
    // The handle goes back to the session, after the list of headers it points
    // to is gone: the next request resets it before use.
    if (pool && easy) {
      curl_easy_reset(easy.get());
      pool->spare = std::move(easy);
    }
  }
};

HttpWarmUp::HttpWarmUp() {
  try {
    thread_ = std::thread([] {
      try {
        global_init();
      } catch (...) {
        // The first HttpGet tries again and reports it.
      }
    });
  } catch (const std::system_error&) {
    // No thread to spare: the first HttpGet sets libcurl up itself.
  }
}

HttpWarmUp::~HttpWarmUp() {
  if (thread_.joinable()) thread_.join();
}

HttpGet::HttpGet(const HttpOptions& options, const std::string& url, HttpSession* session)
    : options_((check_http_options(options), options)),
      redactor_(redactor_for(options)),
      url_(redactor_.redact(redact_url(url))),
      handles_(std::make_unique<Handles>()),
      idle_limit_(std::chrono::seconds(options.timeout_seconds)) {
  global_init();
  origin_ = origin_of(options.credentials_origin.empty() ? url : options.credentials_origin);
  send_secrets_ = origin_of(url) == origin_;
  post_ = options.method == "POST";
  if (session) {
    handles_->pool = session->pool_.get();
    handles_->multi = handles_->pool->multi.get();
    handles_->easy = std::move(handles_->pool->spare);
    buffer_.swap(handles_->pool->buffer);
  } else {
    handles_->own_multi.reset(curl_multi_init());
    handles_->multi = handles_->own_multi.get();
  }
  if (!handles_->multi) throw Error("cannot create an HTTP handle (out of memory)");
  start(send_secrets_ && !options.query_secret_name.empty()
            ? with_query_param(url, options.query_secret_name, options.query_secret_value)
            : url);
}

// Starts the request for `url`, the one asked for or a redirect's target, on
// a new easy handle (the multi handle keeps the connections for reuse).
void HttpGet::start(const std::string& url) {
  if (handles_->attached) {
    curl_multi_remove_handle(handles_->multi, handles_->easy.get());
    handles_->attached = false;
  }
  if (handles_->easy)
    curl_easy_reset(handles_->easy.get());  // a redirect's hop, or the session's spare
  else
    handles_->easy.reset(curl_easy_init());
  if (!handles_->easy) throw Error("cannot create an HTTP handle (out of memory)");
  current_url_ = url;
  buffer_.clear();
  consumed_ = paused_ = done_ = head_checked_ = discarding_ = false;
  result_ = CURLE_OK;
  bytes_received_ = 0;
  window_started_ = false;
  last_activity_ = std::chrono::steady_clock::now();
  error_text_[0] = '\0';

  CURL* h = handles_->easy.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  // Redirects are followed here, not by libcurl: it would send our own headers
  // (secret ones too) to any host a redirect names.
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, options_.timeout_seconds);
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 256L * 1024);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "tsync/" TSYNC_VERSION);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (send_secrets_ && !options_.bearer_token.empty()) {
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
    curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, options_.bearer_token.c_str());
  }
  if (post_) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(options_.body.size()));
    curl_easy_setopt(h, CURLOPT_COPYPOSTFIELDS, options_.body.c_str());
  }
  handles_->headers.reset(curl_slist_append(nullptr, "Accept: application/json"));
  bool appended = handles_->headers != nullptr;
  if (appended && post_ && !options_.content_type.empty())
    appended = curl_slist_append(handles_->headers.get(),
                                 ("Content-Type: " + options_.content_type).c_str()) != nullptr;
  for (const auto& header : options_.headers) {
    if (!appended) break;
    if (is_secret(header) && !send_secrets_) continue;
    // "Name;" is libcurl's way to send a header with an empty value.
    const std::string line =
        header.value.empty() ? header.name + ";" : header.name + ": " + header.value;
    appended = curl_slist_append(handles_->headers.get(), line.c_str()) != nullptr;
  }
  if (!appended) throw Error("cannot set the request headers (out of memory)");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, handles_->headers.get());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_text_);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &HttpGet::on_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, this);
  if (curl_multi_add_handle(handles_->multi, h) != CURLM_OK)
    throw Error("cannot start an HTTP transfer");
  handles_->attached = true;
}

HttpGet::~HttpGet() {
  if (handles_ && handles_->pool) {
    buffer_.clear();
    handles_->pool->buffer.swap(buffer_);
  }
}

std::size_t HttpGet::on_write(char* data, std::size_t size, std::size_t count, void* self) {
  auto* get = static_cast<HttpGet*>(self);
  const std::size_t n = size * count;
  if (!get->head_checked_) {
    get->head_checked_ = true;
    get->discarding_ = !get->redirect_target().empty();
  }
  if (!get->discarding_ && get->buffer_.size() >= kBufferLimit) {
    get->paused_ = true;
    return CURL_WRITEFUNC_PAUSE;
  }
  const auto now = std::chrono::steady_clock::now();
  get->last_activity_ = now;
  if (!get->window_started_) {
    get->window_started_ = true;
    get->window_bytes_ = 0;
    get->window_elapsed_ = {};
  }
  get->window_bytes_ += n;
  get->window_last_write_ = get->window_elapsed_;
  if (get->discarding_) return n;  // a redirect's body: nobody reads it
  get->buffer_.append(data, n);
  get->bytes_received_ += n;
  return n;
}

// The absolute URL this hop's response redirects to, or "" if it does not.
std::string HttpGet::redirect_target() {
  long code = 0;
  curl_easy_getinfo(handles_->easy.get(), CURLINFO_RESPONSE_CODE, &code);
  if (!is_redirect(code)) return "";
  // libcurl resolves a relative Location against this hop's URL, as it would
  // to follow it.
  const char* target = nullptr;
  if (curl_easy_getinfo(handles_->easy.get(), CURLINFO_REDIRECT_URL, &target) != CURLE_OK ||
      !target)
    return "";
  return target;
}

void HttpGet::follow(const std::string& target) {
  const std::string shown = redactor_.redact(redact_url(target));
  if (redirects_ >= kMaxRedirects)
    throw PermanentError(where() + ": more than " + std::to_string(kMaxRedirects) +
                         " redirects, the last to " + shown);
  const std::string origin = origin_of(target);
  if (origin.rfind("http://", 0) != 0 && origin.rfind("https://", 0) != 0)
    throw PermanentError(where() + ": redirected to " + shown +
                         ", which is not an http or https URL");
  if (origin != origin_) send_secrets_ = false;
  long code = 0;
  curl_easy_getinfo(handles_->easy.get(), CURLINFO_RESPONSE_CODE, &code);
  if (post_ && code != 307 && code != 308) post_ = false;  // as browsers and curl do
  if (post_ && !send_secrets_)
    throw PermanentError(where() + ": redirected to " + shown +
                         ", another origin: tsync does not send this request's body (it may hold "
                         "credentials) there");
  ++redirects_;
  start(target);
}

std::string HttpGet::redirected_to() const {
  return redirects_ > 0 ? redactor_.redact(redact_url(current_url_)) : std::string();
}

std::string HttpGet::where() const {
  std::string text = options_.method + " " + url_;
  if (redirects_ > 0) text += " (redirected to " + redirected_to() + ")";
  return text;
}

void HttpGet::check_rate() {
  if (options_.min_bytes_per_second <= 0 || !window_started_ || done_) return;
  const auto window = std::chrono::seconds(options_.timeout_seconds);
  if (window_elapsed_ < window) return;
  // A window that ends in a long silence is left to the idle check, which
  // names it for what it is and fires within one more window unless bytes
  // come first (and then this check fires).
  if (window_elapsed_ - window_last_write_ >= std::chrono::milliseconds(window) / 2) return;
  const auto wanted = static_cast<std::uint64_t>(options_.min_bytes_per_second) *
                      static_cast<std::uint64_t>(options_.timeout_seconds);
  if (window_bytes_ < wanted)
    throw TransientError(
        where() + ": transfer stalled: " + std::to_string(window_bytes_) + " bytes in the last " +
        std::to_string(options_.timeout_seconds) +
        " s, below min_bytes_per_second = " + std::to_string(options_.min_bytes_per_second));
  window_started_ = false;  // the next bytes open the next window
}

void HttpGet::pump_until_data() {
  CURLM* multi = handles_->multi;
  // Only the time spent here, waiting for the transfer, counts towards the
  // rate: while the reader is away the transfer is not being pulled.
  auto tick = std::chrono::steady_clock::now();
  while (!done_ && buffer_.empty()) {
    check_interrupted();
    const auto now = std::chrono::steady_clock::now();
    if (window_started_) window_elapsed_ += now - tick;
    tick = now;
    int running = 0;
    const CURLMcode mc = curl_multi_perform(multi, &running);
    if (mc != CURLM_OK) throw Error(where() + ": " + redactor_.redact(curl_multi_strerror(mc)));
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg == CURLMSG_DONE && msg->easy_handle == handles_->easy.get()) {
        done_ = true;
        result_ = msg->data.result;
      }
    }
    // libcurl's own low-speed check averages over several seconds, so a burst
    // followed by silence would outlive timeout_seconds: time the silence here.
    if (!done_ && buffer_.empty() &&
        std::chrono::steady_clock::now() - last_activity_ >= idle_limit_)
      throw TransientError(where() + ": no data for too long: nothing received for " +
                           std::to_string(idle_limit_.count()) + " s after " +
                           std::to_string(bytes_received_) + " bytes of the body");
    // A trickle never falls silent for that long: measure the rate as well.
    check_rate();
    if (done_ || !buffer_.empty()) break;
    curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  }
}

void HttpGet::throw_transfer_error() {
  const auto code = static_cast<CURLcode>(result_);
  std::string what = redactor_.redact(error_text_[0] ? error_text_ : curl_easy_strerror(code));
  if (code == CURLE_OPERATION_TIMEDOUT && bytes_received_ > 0)
    what =
        "no data for too long after " + std::to_string(bytes_received_) + " bytes (" + what + ")";
  else if (code == CURLE_PARTIAL_FILE || code == CURLE_RECV_ERROR)
    what = "connection lost after " + std::to_string(bytes_received_) + " bytes of the body (" +
           what + ")";
  const std::string message = where() + ": " + what;
  if (is_permanent(code)) throw PermanentError(message);
  throw TransientError(message);
}

long HttpGet::status() {
  if (status_ >= 0) return status_;
  for (;;) {
    pump_until_data();
    long code = 0;
    curl_easy_getinfo(handles_->easy.get(), CURLINFO_RESPONSE_CODE, &code);
    // A transfer that failed after the headers still hands over the body it
    // received: the records before the fault are worth keeping.
    if (code == 0 && done_ && result_ != CURLE_OK) throw_transfer_error();
    const std::string target = redirect_target();
    if (target.empty()) {
      status_ = code;
      return code;
    }
    // A redirect's body is dropped as it comes (on_write): pump_until_data
    // returned at its end.
    if (result_ != CURLE_OK) throw_transfer_error();
    follow(target);
  }
}

double HttpGet::retry_after_seconds() {
  curl_off_t seconds = 0;
  if (curl_easy_getinfo(handles_->easy.get(), CURLINFO_RETRY_AFTER, &seconds) != CURLE_OK ||
      seconds <= 0)
    return -1;
  return static_cast<double>(seconds);
}

std::string HttpGet::content_type() {
  const char* type = nullptr;
  curl_easy_getinfo(handles_->easy.get(), CURLINFO_CONTENT_TYPE, &type);
  return type ? type : "";
}

std::vector<std::string> HttpGet::header_values(const char* name) {
  // libcurl trims a header's value, except an empty one: "Link: " comes as
  // "\r" (libcurl 7.88). What is left of any value after the white space
  // around it is what the server sent.
  auto trimmed = [](std::string_view value) {
    constexpr std::string_view kSpace = " \t\r\n";
    const std::size_t start = value.find_first_not_of(kSpace);
    if (start == std::string_view::npos) return std::string();
    return std::string(value.substr(start, value.find_last_not_of(kSpace) - start + 1));
  };
  std::vector<std::string> values;
  curl_header* header = nullptr;
  if (curl_easy_header(handles_->easy.get(), name, 0, CURLH_HEADER, -1, &header) != CURLHE_OK)
    return values;
  const std::size_t amount = header->amount;
  values.push_back(trimmed(header->value));
  for (std::size_t i = 1; i < amount; ++i)
    if (curl_easy_header(handles_->easy.get(), name, i, CURLH_HEADER, -1, &header) == CURLHE_OK)
      values.push_back(trimmed(header->value));
  return values;
}

std::optional<std::uint64_t> HttpGet::content_length() {
  curl_off_t length = -1;
  curl_easy_getinfo(handles_->easy.get(), CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
  if (length < 0) return std::nullopt;
  return static_cast<std::uint64_t>(length);
}

std::string_view HttpGet::next_chunk() {
  status();  // follows redirects first
  if (consumed_) {
    buffer_.clear();
    consumed_ = false;
    last_activity_ = std::chrono::steady_clock::now();  // time spent parsing is not silence
    if (paused_) {
      paused_ = false;
      curl_easy_pause(handles_->easy.get(), CURLPAUSE_CONT);
    }
  }
  pump_until_data();
  if (!buffer_.empty()) {
    consumed_ = true;
    return buffer_;
  }
  if (result_ != CURLE_OK) throw_transfer_error();
  return {};
}

}  // namespace tsync
