// SPDX-License-Identifier: Apache-2.0
#pragma once

// Stripe-shaped nested resources: invoices and each invoice's lines, generated
// from a seed, changed as a nightly run finds them (lines added, invoices
// removed), and written as Stripe's API writes them: an invoice embeds its first
// lines, so its JSON changes when a line is added.

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mock/change_clock.hpp"

namespace tsync::mock {

// The sizes. The defaults are small, for a test to read.
struct StripeOptions {
  std::size_t invoices = 20;
  std::size_t lines = 3;  // per invoice
};

// Reads the command-line form INVOICES[:LINES] and checks it. Throws
// std::invalid_argument saying what is wrong.
StripeOptions parse_stripe_spec(std::string_view text);

// Checks at most 20,000,000 invoices and lines together. Throws std::invalid_argument.
void check_stripe(const StripeOptions& options);

// How many lines an invoice embeds, as Stripe's do.
inline constexpr std::size_t kEmbeddedLines = 10;

struct StripeLine {
  std::string id;  // "il_..."
  std::int64_t amount = 0;
  std::string description;
  std::int64_t quantity = 1;
  std::int64_t period_start = 0, period_end = 0;  // Unix seconds
};

struct StripeInvoice {
  std::string id;            // "in_..."
  std::int64_t created = 0;  // Unix seconds, unique
  std::string customer;      // "cus_..."
  std::string status;        // draft, open, paid, void or uncollectible
  std::int64_t total = 0;    // the sum of the lines' amounts
  std::int64_t amount_due = 0;
  std::vector<StripeLine> lines;  // in the invoice's order
};

// Where a list request starts: after the object with id `starting_after`, or
// before the one with id `ending_before` (at most one of them), or at the start.
struct StripeCursor {
  std::string starting_after, ending_before;
};

// One answer of a list: its objects' JSON, and whether more follow.
struct StripeList {
  std::vector<std::string> items;
  bool has_more = false;
};

// A list's answer, or what it could not find.
struct StripeAnswer {
  enum class Missing { None, Invoice, Cursor } missing = Missing::None;
  StripeList list;
};

// The invoices. Thread-safe; off until serve().
class StripeInvoices {
 public:
  // Added lines' periods end at instants of `clock`, which outlives this.
  explicit StripeInvoices(ChangeClock& clock) : clock_(clock) {}

  // Serves new invoices generated from `options` and `seed` (the same for the
  // same values) from now on. Throws std::invalid_argument for options that
  // check_stripe refuses.
  void serve(const StripeOptions& options, std::uint64_t seed);
  bool serving() const;

  // The invoices served now, newest first, each with every line: what a
  // replica of both streams should hold.
  std::vector<StripeInvoice> invoices() const;

  // Adds a line to each of `count` invoices chosen at random (every invoice
  // when there are fewer): their lines and totals change. Returns their ids.
  std::vector<std::string> change(std::size_t count);
  // The invoice is no longer listed, and its lines answer 404. Throws
  // std::out_of_range for an id not served.
  void remove(const std::string& id);

  // What the routes serve: the invoices newest first, `limit` of them from
  // `cursor` (Missing::Cursor when its id is not served); one invoice; an
  // invoice's lines in its order (Missing::Invoice when it is not served).
  StripeAnswer list_invoices(const StripeCursor& cursor, std::size_t limit) const;
  std::optional<std::string> invoice(const std::string& id) const;
  StripeAnswer list_lines(const std::string& invoice, const StripeCursor& cursor,
                          std::size_t limit) const;

 private:
  std::optional<std::size_t> live_index(const std::string& id) const;

  ChangeClock& clock_;
  mutable std::mutex mutex_;
  bool serving_ = false;
  std::vector<StripeInvoice> invoices_;  // oldest first
  std::vector<bool> removed_;
  std::unordered_map<std::string, std::size_t> index_;  // id -> place in invoices_
  std::uint64_t seed_ = 0, changes_ = 0;
};

}  // namespace tsync::mock
