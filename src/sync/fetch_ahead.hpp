// SPDX-License-Identifier: Apache-2.0
#pragma once
// Pages of one chain asked ahead (docs/paging.md, "Pages asked ahead"): while a
// chain reads a page, the pages after it whose URLs are known before the page
// is read (an offset, a page number) are asked on connections of their own, as
// far as the run's requests in flight allow, and handed to the chain in its own
// order. A page asked ahead is whole in memory until the chain takes it.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "replica/replica_writer.hpp"
#include "source/records.hpp"
#include "sync/observer.hpp"
#include "sync/request.hpp"

namespace tsync {

// A page asked ahead: the response whole, or the fault that ended its request,
// with what the request told the observer, to be told when the chain takes it.
struct FetchedPage {
  struct Event {
    enum class Kind { Request, SignIn, Response } kind;
    std::string text, reason;  // the URL; a sign-in's URL and reason
    long status = 0;
    std::optional<std::uint64_t> length;
    bool login = false, renewal = false;
  };

  std::vector<Event> events;
  RunCounters io;     // sign-ins and requests made again after a 401
  std::string where;  // "GET <url>: HTTP <status>"
  std::vector<std::string> link_headers;
  std::string content_type;
  std::string body;
  std::exception_ptr error;  // the request's fault: rethrown when taken

  // Tells `observer` what the request told, and counts its sign-ins in `into`.
  void replay(SyncObserver& observer, RunCounters& into) const;
};

// A page's body held in memory, handed to the record parser in chunks as a
// response's body is, counted in the run's bytes.
class HeldBody : public ChunkSource {
 public:
  HeldBody(const std::string& body, SyncObserver& observer, RunCounters& io,
           const RowWriter& writer)
      : body_(body), observer_(observer), io_(io), writer_(writer) {}

  std::string_view next_chunk() override;

 private:
  static constexpr std::size_t kChunk = 64 * 1024;
  const std::string& body_;
  SyncObserver& observer_;
  RunCounters& io_;
  const RowWriter& writer_;
  std::size_t at_ = 0;
};

// The pages one chain asks ahead. The chain says which URLs come next (want)
// and takes each page in its order (take); what it no longer wants, or was
// asked past the chain's end, is dropped. At most `most` are asked at once,
// each holding a slot of `slots`. Not thread-safe: one chain uses it.
class FetchAhead {
 public:
  FetchAhead(const StreamConfig& stream, const Transport& net, RequestSlots& slots,
             std::size_t most);
  ~FetchAhead();
  FetchAhead(const FetchAhead&) = delete;
  FetchAhead& operator=(const FetchAhead&) = delete;

  // The page the chain reads next (`current`) and up to `most` pages it will
  // want after it, in order: those already asked stay, the others asked are
  // dropped, the new ones are asked as slots free up (`current` is not: the
  // chain asks it itself unless it was asked already).
  void want(const std::string& current, const std::vector<std::string>& after);
  // The page of `url` when it was asked ahead, once its request has ended;
  // nullptr when it was not, or was still waiting for a slot (the chain asks
  // it itself). Pages wanted before it are dropped.
  std::unique_ptr<FetchedPage> take(const std::string& url);
  // Drops every page asked (after a fault, the chain goes back).
  void drop();

  // Pages asked ahead that the chain took, and those it did not (dropped).
  std::int64_t taken() const { return taken_; }
  // True once the chain wanted a page that was not the first of those asked
  // after its last one: the pages asked ahead were not the chain's.
  bool missed() const { return missed_; }
  std::int64_t dropped() const { return dropped_; }

 private:
  struct Entry;

  void work();
  void fetch(Entry& entry, HttpSession& session) const;
  void drop_locked();

  const StreamConfig& stream_;
  const Transport net_;
  RequestSlots& slots_;
  const std::size_t most_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::shared_ptr<Entry>> entries_;  // wanted, in the chain's order
  std::atomic<std::size_t> waiting_{0};          // entries not yet asked
  std::atomic<bool> stop_{false};
  std::int64_t taken_ = 0;
  bool missed_ = false;
  std::int64_t dropped_ = 0;
  std::vector<std::thread> workers_;
};

}  // namespace tsync
