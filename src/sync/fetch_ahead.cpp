// SPDX-License-Identifier: Apache-2.0
#include "sync/fetch_ahead.hpp"

#include <algorithm>

namespace tsync {
namespace {

// Keeps what a request asked ahead tells, to be told in the chain's order.
class Recorder : public SyncObserver {
 public:
  explicit Recorder(std::vector<FetchedPage::Event>& events) : events_(events) {}

  void on_request(const std::string& url) override {
    events_.push_back({FetchedPage::Event::Kind::Request, url, {}, 0, std::nullopt, false, false});
  }
  void on_response(long status, std::optional<std::uint64_t> length) override {
    events_.push_back({FetchedPage::Event::Kind::Response, {}, {}, status, length, false, false});
  }
  void on_sign_in(bool login, const std::string& url, const std::string& reason,
                  bool renewal) override {
    events_.push_back(
        {FetchedPage::Event::Kind::SignIn, url, reason, 0, std::nullopt, login, renewal});
  }

 private:
  std::vector<FetchedPage::Event>& events_;
};

}  // namespace

void FetchedPage::replay(SyncObserver& observer, RunCounters& into) const {
  for (const Event& e : events) switch (e.kind) {
      case Event::Kind::Request:
        observer.on_request(e.text);
        break;
      case Event::Kind::SignIn:
        observer.on_sign_in(e.login, e.text, e.reason, e.renewal);
        break;
      case Event::Kind::Response:
        observer.on_response(e.status, e.length);
        break;
    }
  into.requests += io.requests;
  into.retries += io.retries;
  into.logins += io.logins;
  into.token_requests += io.token_requests;
}

std::string_view HeldBody::next_chunk() {
  if (at_ >= body_.size()) return {};
  const std::string_view chunk(body_.data() + at_, std::min(kChunk, body_.size() - at_));
  at_ += chunk.size();
  io_.bytes += static_cast<std::int64_t>(chunk.size());
  observer_.on_progress(writer_.counters(), at_, body_.size());
  return chunk;
}

struct FetchAhead::Entry {
  enum class State { Waiting, Asked, Done };
  explicit Entry(std::string u) : url(std::move(u)) {}
  const std::string url;
  State state = State::Waiting;
  std::unique_ptr<FetchedPage> page;  // once Done
};

FetchAhead::FetchAhead(const StreamConfig& stream, const Transport& net, RequestSlots& slots,
                       std::size_t most)
    : stream_(stream), net_(net), slots_(slots), most_(most) {}

FetchAhead::~FetchAhead() {
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
    drop_locked();
  }
  changed_.notify_all();
  slots_.wake();
  for (std::thread& t : workers_) t.join();
}

void FetchAhead::want(const std::string& current, const std::vector<std::string>& after) {
  {
    const std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<Entry>> next;
    auto keep = [&](const std::string& url) {
      const auto it = std::find_if(entries_.begin(), entries_.end(),
                                   [&](const auto& e) { return e && e->url == url; });
      if (it == entries_.end()) return false;
      next.push_back(std::move(*it));
      return true;
    };
    // Asked already: the chain takes it; if not, asks it itself. Pages were
    // asked for after the chain's last page, but not this one: they were not
    // the chain's.
    const bool asked = !entries_.empty();
    if (!keep(current) && asked) missed_ = true;
    for (std::size_t i = 0; i < after.size() && i < most_; ++i) {
      if (keep(after[i])) continue;
      next.push_back(std::make_shared<Entry>(after[i]));
      ++waiting_;
    }
    for (const auto& e : entries_) {
      if (!e) continue;
      if (e->state == Entry::State::Waiting)
        --waiting_;
      else
        ++dropped_;
    }
    entries_ = std::move(next);
    while (workers_.size() < most_ && workers_.size() < waiting_)
      workers_.emplace_back([this] { work(); });
  }
  changed_.notify_all();
  slots_.wake();
}

std::unique_ptr<FetchedPage> FetchAhead::take(const std::string& url) {
  std::unique_lock lock(mutex_);
  const auto it = std::find_if(entries_.begin(), entries_.end(),
                               [&](const auto& e) { return e->url == url; });
  if (it == entries_.end()) return nullptr;  // the chain asks it itself
  // Pages wanted before this one are not read any more.
  std::vector<std::shared_ptr<Entry>> passed(entries_.begin(), it);
  entries_.erase(entries_.begin(), it);
  for (const auto& e : passed) {
    if (e->state == Entry::State::Waiting)
      --waiting_;
    else
      ++dropped_;
  }
  const std::shared_ptr<Entry> entry = entries_.front();
  entries_.erase(entries_.begin());
  if (entry->state == Entry::State::Waiting) {
    --waiting_;  // not asked yet: the chain asks it itself, now
    lock.unlock();
    slots_.wake();
    return nullptr;
  }
  changed_.wait(lock, [&] { return entry->state == Entry::State::Done; });
  ++taken_;
  return std::move(entry->page);
}

void FetchAhead::drop() {
  {
    const std::lock_guard lock(mutex_);
    drop_locked();
  }
  slots_.wake();
}

void FetchAhead::drop_locked() {
  for (const auto& e : entries_) {
    if (e->state == Entry::State::Waiting)
      --waiting_;
    else
      ++dropped_;
  }
  entries_.clear();
}

void FetchAhead::work() {
  HttpSession session;  // this worker's connection, kept from page to page
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stop_ || waiting_ > 0; });
      if (stop_) return;
    }
    if (!slots_.take([&] { return stop_.load() || waiting_.load() == 0; })) continue;
    std::shared_ptr<Entry> entry;
    {
      const std::lock_guard lock(mutex_);
      for (const auto& e : entries_)
        if (e->state == Entry::State::Waiting) {
          entry = e;
          break;
        }
      if (entry) {
        entry->state = Entry::State::Asked;
        --waiting_;
      }
    }
    if (!entry) {
      slots_.give();
      continue;
    }
    fetch(*entry, session);
    slots_.give();
    {
      const std::lock_guard lock(mutex_);
      entry->state = Entry::State::Done;
    }
    changed_.notify_all();
  }
}

void FetchAhead::fetch(Entry& entry, HttpSession& session) const {
  auto page = std::make_unique<FetchedPage>();
  Recorder recorder(page->events);
  try {
    const Transport net{net_.http, net_.auth, net_.rate, session, nullptr};
    const std::unique_ptr<HttpGet> get =
        open_response(stream_, net, entry.url, recorder, page->io, page->where);
    page->link_headers = get->header_values("link");
    page->content_type = get->content_type();
    if (const auto length = get->content_length(); length && *length < (std::uint64_t{1} << 30))
      page->body.reserve(static_cast<std::size_t>(*length));
    try {
      for (;;) {
        const std::string_view chunk = get->next_chunk();
        if (chunk.empty()) break;
        page->body.append(chunk);
      }
    } catch (const TransientError& e) {
      // As read_body says it: the transfer's own errors already name the request.
      const std::string what = e.what();
      throw TransientError(what.rfind("GET ", 0) == 0 ? what : page->where + ": " + what);
    }
  } catch (...) {
    page->error = std::current_exception();
    page->body.clear();
  }
  entry.page = std::move(page);
}

}  // namespace tsync
