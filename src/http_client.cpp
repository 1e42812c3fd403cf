#include "http_client.hpp"

#include <curl/curl.h>
#include <system_error>

#include "errors.hpp"

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

}  // namespace

struct HttpGet::Handles {
  std::unique_ptr<CURLM, CurlMultiDeleter> multi;
  std::unique_ptr<CURL, CurlEasyDeleter> easy;
  std::unique_ptr<curl_slist, CurlSlistDeleter> headers;
  bool attached = false;

  ~Handles() {
    if (attached) curl_multi_remove_handle(multi.get(), easy.get());
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

std::string redact_url(const std::string& url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  const auto host_start = scheme_end + 3;
  const auto authority_end = url.find_first_of("/?#", host_start);
  const auto at = url.rfind('@', authority_end == std::string::npos ? url.size() : authority_end);
  if (at == std::string::npos || at < host_start) return url;
  return url.substr(0, host_start) + "***@" + url.substr(at + 1);
}

void append_url_encoded(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-' ||
        u == '.' || u == '_' || u == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
}

HttpGet::HttpGet(const HttpOptions& options, const std::string& url)
    : url_(redact_url(url)),
      handles_(std::make_unique<Handles>()),
      idle_limit_(std::chrono::seconds(options.timeout_seconds)),
      last_activity_(std::chrono::steady_clock::now()) {
  global_init();
  handles_->multi.reset(curl_multi_init());
  handles_->easy.reset(curl_easy_init());
  if (!handles_->multi || !handles_->easy)
    throw Error("cannot create an HTTP handle (out of memory)");
  CURL* h = handles_->easy.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, options.timeout_seconds);
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 256L * 1024);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "tsync/" TSYNC_VERSION);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options.ca_file.c_str());
  if (!options.bearer_token.empty()) {
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
    curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, options.bearer_token.c_str());
  }
  handles_->headers.reset(curl_slist_append(nullptr, "Accept: application/json"));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, handles_->headers.get());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_text_);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &HttpGet::on_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, this);
  if (curl_multi_add_handle(handles_->multi.get(), h) != CURLM_OK)
    throw Error("cannot start an HTTP transfer");
  handles_->attached = true;
}

HttpGet::~HttpGet() = default;

std::size_t HttpGet::on_write(char* data, std::size_t size, std::size_t count, void* self) {
  auto* get = static_cast<HttpGet*>(self);
  const std::size_t n = size * count;
  if (get->buffer_.size() >= kBufferLimit) {
    get->paused_ = true;
    return CURL_WRITEFUNC_PAUSE;
  }
  get->buffer_.append(data, n);
  get->bytes_received_ += n;
  get->last_activity_ = std::chrono::steady_clock::now();
  return n;
}

void HttpGet::pump_until_data() {
  CURLM* multi = handles_->multi.get();
  while (!done_ && buffer_.empty()) {
    check_interrupted();
    int running = 0;
    const CURLMcode mc = curl_multi_perform(multi, &running);
    if (mc != CURLM_OK) throw Error(std::string("GET ") + url_ + ": " + curl_multi_strerror(mc));
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg == CURLMSG_DONE) {
        done_ = true;
        result_ = msg->data.result;
      }
    }
    if (done_ || !buffer_.empty()) break;
    // libcurl's own low-speed check averages over several seconds, so a burst
    // followed by silence would outlive timeout_seconds: time the silence here.
    if (std::chrono::steady_clock::now() - last_activity_ > idle_limit_)
      throw TransientError("GET " + url_ + ": no data for too long: nothing received for " +
                           std::to_string(idle_limit_.count()) + " s after " +
                           std::to_string(bytes_received_) + " bytes of the body");
    curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  }
}

void HttpGet::throw_transfer_error() {
  const auto code = static_cast<CURLcode>(result_);
  std::string what = error_text_[0] ? error_text_ : curl_easy_strerror(code);
  if (code == CURLE_OPERATION_TIMEDOUT && bytes_received_ > 0)
    what =
        "no data for too long after " + std::to_string(bytes_received_) + " bytes (" + what + ")";
  else if (code == CURLE_PARTIAL_FILE || code == CURLE_RECV_ERROR)
    what = "connection lost after " + std::to_string(bytes_received_) + " bytes of the body (" +
           what + ")";
  const std::string message = "GET " + url_ + ": " + what;
  if (is_permanent(code)) throw PermanentError(message);
  throw TransientError(message);
}

long HttpGet::status() {
  pump_until_data();
  long code = 0;
  curl_easy_getinfo(handles_->easy.get(), CURLINFO_RESPONSE_CODE, &code);
  // A transfer that failed after the headers still hands over the body it
  // received: the records before the fault are worth keeping.
  if (code == 0 && done_ && result_ != CURLE_OK) throw_transfer_error();
  return code;
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

std::optional<std::uint64_t> HttpGet::content_length() {
  curl_off_t length = -1;
  curl_easy_getinfo(handles_->easy.get(), CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
  if (length < 0) return std::nullopt;
  return static_cast<std::uint64_t>(length);
}

std::string_view HttpGet::next_chunk() {
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
