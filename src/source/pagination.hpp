// SPDX-License-Identifier: Apache-2.0
#pragma once

// How a response leads to the next request: the paging styles of real APIs
// (a Link header, a next URL or token in the body, the last record's key, an
// offset or a page number), when a chain of pages ends, and when an API that
// pages forever must be stopped.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/record.hpp"

namespace tsync {

// Keys leading from a response body's root to a value: "paging.next.after" is
// {"paging", "next", "after"}; a key that holds a dot is written as a list,
// ["@odata.nextLink"].
using JsonPath = std::vector<std::string>;

// A path as messages show it: "paging.next.after" (with the quotes), or, when
// a key holds a dot, the list form ["@odata.nextLink"].
std::string describe_path(const JsonPath& path);

enum class PagingType { None, Since, LinkHeader, NextUrl, Token, LastRecord, Offset, Page };

// A stream's "pagination" setting (docs/paging.md). None keeps the seed's
// behaviour: ask again with the newest cursor until nothing newer comes,
// watching for answers that look capped (docs/paging.md, "Capped answers"). Since says
// that the API answers a page at a time along since and never splits the
// records of one instant between answers: asked the same way, without that watch.
struct Pagination {
  PagingType type = PagingType::None;
  JsonPath path;              // next_url, token: where the next URL or token sits
  std::string param;          // token, last_record, offset, page: the parameter sent
  JsonPath has_more_path;     // token, last_record: false there ends the chain
  bool repeat_since = true;   // later pages carry the since parameter too
  std::string field;          // last_record: the record field whose value is sent
  std::string limit_param;    // offset
  long long limit = 0;        // offset
  JsonPath total_path;        // offset: the total number of records
  std::string size_param;     // page
  long long size = 0;         // page
  long long first = 1;        // page: the number of the first page, 0 or 1
  JsonPath total_pages_path;  // page: the number of pages

  // True for a chain of pages; None and Since ask again with since instead.
  bool paged() const { return type != PagingType::None && type != PagingType::Since; }
};

// The name a configuration uses for `type` ("link_header", ...).
const char* paging_type_name(PagingType type);

// The URL of the link with relation type "next" in an HTTP Link header (RFC
// 8288): several links in one header, rel values quoted or not, several
// relation types in one rel, other parameters in any order. The URL is
// returned as written (relative or absolute). nullopt when there is no next
// link. Throws std::invalid_argument naming what is malformed.
std::optional<std::string> next_link(std::string_view header);

// What one page told about the next: filled by the sync loop from the
// response's headers, the values the body parser captured and the records.
struct PageFacts {
  std::vector<std::string> link_headers;  // every Link header of the response
  // The body's values at Pager::capture_paths(), in that order; nullopt where
  // the body has no such path.
  std::vector<std::optional<FieldValue>> values;
  std::int64_t records = 0;  // records of the page, stored or rejected
  // last_record: the field's value in the page's last record; nullopt when
  // that record had none.
  std::optional<std::string> last_value;
};

// Follows one chain of pages: the first request of a stream and the pages
// after it. Not thread-safe; one per chain.
class Pager {
 public:
  // `stream_name` names the stream in errors; `base_params` are the query
  // parameters of every request of the chain (the stream's params and, unless
  // since is sent on the first request only, the since parameter);
  // `first_only` are those of the first request only.
  Pager(std::string stream_name, const Pagination& pagination, std::string url,
        std::vector<std::pair<std::string, std::string>> base_params,
        std::vector<std::pair<std::string, std::string>> first_only);

  // The body paths whose values the parser must capture for next().
  const std::vector<JsonPath>& capture_paths() const { return captures_; }

  // The URL of the chain's first request.
  std::string first_url() const;

  // Given the facts of the page just read from `request_url`, the URL of the
  // next page, or nullopt when the chain has ended. Throws PermanentError
  // naming the stream and "pagination" when a configured has_more, total or
  // total_pages path is missing from the body or holds the wrong type, when
  // the last record lacks the last_record field, for a malformed Link header,
  // and when the API repeats itself (a next link, URL or token already
  // followed in this chain, or `kMaxRepeatedPages` pages in a row that brought
  // only records already read).
  std::optional<std::string> next(const std::string& request_url, const PageFacts& facts,
                                  bool only_repeated_records);

  // The URLs of up to `n` pages after the one next() last gave, as they are
  // when every page before them is full, within the total the API last said:
  // the pages that can be asked ahead. Empty unless the paging is an offset, a
  // page number, or Link headers whose next link differs from the request by
  // one growing number and that give a rel="last" link with the same URL but
  // that number (the next request of other paging depends on the answer).
  std::vector<std::string> ahead(std::size_t n) const;

  // True when the total (offset) or number of pages the API said changed from
  // one page of the chain to another: the data changed while it was read.
  bool total_changed() const { return total_changed_; }

  // Pages in a row made only of records the chain had read already after
  // which the API is taken to page forever.
  static constexpr int kMaxRepeatedPages = 3;

 private:
  std::string url_with(const std::vector<std::pair<std::string, std::string>>& extra) const;
  [[noreturn]] void fail(const std::string& what) const;
  const FieldValue* value(std::size_t index, bool required, const JsonPath& path,
                          const PageFacts& facts) const;
  std::optional<std::string> follow(const std::string& next, std::string_view what);

  std::string stream_;
  Pagination p_;
  std::string url_;
  std::vector<std::pair<std::string, std::string>> base_;
  std::vector<std::pair<std::string, std::string>> first_only_;
  std::vector<JsonPath> captures_;
  // Indices into captures_ (or npos).
  std::size_t next_at_, has_more_at_, total_at_, total_pages_at_;
  // Link headers whose pages can be asked ahead: the next link, the query
  // parameter that counts the pages (a page number or an offset), its value in
  // the next link, and its step from one page to the next; the last link's
  // value is total_.
  struct LinkPages {
    std::string next_url, name;
    long long next_value = 0, step = 0;
  };
  void note_link_pages(const std::string& request_url, const std::string& next,
                       const PageFacts& facts);

  std::optional<LinkPages> link_pages_;
  std::optional<long long> total_;  // the last total (offset), number of pages or last link said
  bool total_changed_ = false;
  std::int64_t read_ = 0;                     // records read in this chain
  long long pages_ = 0;                       // pages read in this chain
  int repeated_pages_ = 0;                    // pages in a row with only records read before
  std::unordered_set<std::string> followed_;  // next URLs, tokens and keys sent
};

// A set of 64-bit hashes of primary keys, to tell when an API sends a record
// twice in one chain of pages: data that moved under positional pages (an
// offset, a page number) may then have slid another record past the pages.
class SeenKeys {
 public:
  // The hash of the key of `record` (its `key_fields`), never 0.
  static std::uint64_t hash_of(const Record& record, const std::vector<std::string>& key_fields);
  // The hash of a key (`key_hash`, from hash_of) at one version, its cursor
  // value as sent: never 0, and not the hash of a key.
  static std::uint64_t with_version(std::uint64_t key_hash, std::string_view cursor_text);
  bool contains(std::uint64_t hash) const;
  // Adds `hash`; true when it was not there.
  bool insert(std::uint64_t hash);
  // Adds every hash of `other`.
  void merge(const SeenKeys& other);
  // Empties the set, keeping its memory.
  void clear();
  std::size_t size() const { return count_; }

 private:
  void grow();
  std::vector<std::uint64_t> slots_;  // open addressing; 0 is empty
  std::size_t count_ = 0;
};

}  // namespace tsync
