// SPDX-License-Identifier: Apache-2.0
#include "mock/stripe_invoices.hpp"

#include <algorithm>
#include <stdexcept>

#include "mock/catalog.hpp"
#include "mock/random.hpp"

namespace tsync::mock {
namespace {

constexpr std::int64_t kStart2024 = 1704067200;  // 2024-01-01T00:00:00Z
constexpr std::int64_t kDay = 86400;
constexpr std::size_t kMostRecords = 20'000'000;

constexpr const char* kProducts[] = {"Pro plan",     "Team plan", "Extra seats", "API calls",
                                     "Storage (GB)", "Support",   "Onboarding",  "Add-on"};
constexpr const char* kStatuses[] = {"paid", "paid", "paid",          "paid", "open",
                                     "open", "void", "uncollectible", "draft"};

std::string stripe_id(Rng& rng, const char* prefix, std::size_t length) {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out = prefix;
  for (std::size_t k = 0; k < length; ++k) out.push_back(kChars[rng.below(sizeof kChars - 1)]);
  return out;
}

std::size_t parse_size(std::string_view text, const char* what) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument(std::string(what) + " must be a whole number, not \"" +
                                std::string(text) + "\"");
  return static_cast<std::size_t>(std::stoul(std::string(text)));
}

StripeLine make_line(Rng& rng, std::int64_t period_end) {
  StripeLine line;
  line.id = stripe_id(rng, "il_", 24);
  line.quantity = 1 + static_cast<std::int64_t>(rng.below(5));
  const std::int64_t unit = 100 * (1 + static_cast<std::int64_t>(rng.below(500)));
  line.amount = unit * line.quantity;
  line.description = std::to_string(line.quantity) + " \xC3\x97 " + kProducts[rng.below(8)];
  line.period_end = period_end;
  line.period_start = period_end - 30 * kDay;
  return line;
}

std::string line_json(const StripeLine& line, const std::string& invoice) {
  std::string out = "{\"id\":";
  append_json_string(out, line.id);
  out += ",\"object\":\"line_item\",\"amount\":" + std::to_string(line.amount) +
         ",\"currency\":\"usd\",\"description\":";
  append_json_string(out, line.description);
  out += ",\"invoice\":";
  append_json_string(out, invoice);
  out += ",\"period\":{\"end\":" + std::to_string(line.period_end) +
         ",\"start\":" + std::to_string(line.period_start) +
         "},\"quantity\":" + std::to_string(line.quantity) + "}";
  return out;
}

std::string invoice_json(const StripeInvoice& invoice) {
  std::string out = "{\"id\":";
  append_json_string(out, invoice.id);
  out += ",\"object\":\"invoice\",\"amount_due\":" + std::to_string(invoice.amount_due) +
         ",\"created\":" + std::to_string(invoice.created) + ",\"currency\":\"usd\",\"customer\":";
  append_json_string(out, invoice.customer);
  out += ",\"lines\":{\"object\":\"list\",\"data\":[";
  const std::size_t shown = std::min(kEmbeddedLines, invoice.lines.size());
  for (std::size_t k = 0; k < shown; ++k) {
    if (k > 0) out.push_back(',');
    out += line_json(invoice.lines[k], invoice.id);
  }
  out += "],\"has_more\":";
  out += invoice.lines.size() > shown ? "true" : "false";
  out += ",\"total_count\":" + std::to_string(invoice.lines.size()) + ",\"url\":";
  append_json_string(out, "/v1/invoices/" + invoice.id + "/lines");
  out += "},\"status\":";
  append_json_string(out, invoice.status);
  out += ",\"total\":" + std::to_string(invoice.total) + "}";
  return out;
}

// The page of `order` (ids in list order, by `id_of`) that `cursor` asks for.
template <typename IdOf, typename Render>
StripeAnswer page_of(const std::vector<std::size_t>& order, const StripeCursor& cursor,
                     std::size_t limit, IdOf id_of, Render render) {
  StripeAnswer answer;
  std::size_t from = 0, to = std::min(limit, order.size());
  const std::string& mark =
      cursor.starting_after.empty() ? cursor.ending_before : cursor.starting_after;
  if (!mark.empty()) {
    const auto at =
        std::find_if(order.begin(), order.end(), [&](std::size_t i) { return id_of(i) == mark; });
    if (at == order.end()) {
      answer.missing = StripeAnswer::Missing::Cursor;
      return answer;
    }
    const auto p = static_cast<std::size_t>(at - order.begin());
    if (!cursor.starting_after.empty()) {
      from = p + 1;
      to = std::min(order.size(), from + limit);
      answer.list.has_more = to < order.size();
    } else {
      to = p;
      from = p > limit ? p - limit : 0;
      answer.list.has_more = from > 0;
    }
  } else {
    answer.list.has_more = to < order.size();
  }
  for (std::size_t k = from; k < to; ++k) answer.list.items.push_back(render(order[k]));
  return answer;
}

}  // namespace

StripeOptions parse_stripe_spec(std::string_view text) {
  StripeOptions options;
  const std::size_t colon = text.find(':');
  options.invoices = parse_size(text.substr(0, colon), "INVOICES");
  if (colon != std::string_view::npos) options.lines = parse_size(text.substr(colon + 1), "LINES");
  check_stripe(options);
  return options;
}

void check_stripe(const StripeOptions& options) {
  const double records =
      static_cast<double>(options.invoices) * (1.0 + static_cast<double>(options.lines));
  if (records > static_cast<double>(kMostRecords))
    throw std::invalid_argument("at most " + std::to_string(kMostRecords) +
                                " invoices and lines together");
}

void StripeInvoices::serve(const StripeOptions& options, std::uint64_t seed) {
  check_stripe(options);
  Rng rng(seed ^ 0x7374726970652121ull);
  std::vector<std::string> customers(options.invoices / 4 + 1);
  for (std::string& customer : customers) customer = stripe_id(rng, "cus_", 14);
  std::vector<StripeInvoice> invoices(options.invoices);
  std::unordered_map<std::string, std::size_t> index;
  const std::int64_t step =
      std::max<std::int64_t>(1, 300 * kDay / static_cast<std::int64_t>(options.invoices + 1));
  for (std::size_t i = 0; i < invoices.size(); ++i) {
    StripeInvoice& invoice = invoices[i];
    invoice.id = stripe_id(rng, "in_", 24);
    invoice.created = kStart2024 + static_cast<std::int64_t>(i) * step +
                      static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(step)));
    invoice.customer = customers[rng.below(customers.size())];
    invoice.status = kStatuses[rng.below(sizeof kStatuses / sizeof kStatuses[0])];
    for (std::size_t k = 0; k < options.lines; ++k) {
      invoice.lines.push_back(make_line(rng, invoice.created));
      invoice.total += invoice.lines.back().amount;
    }
    invoice.amount_due = invoice.total;
    index.emplace(invoice.id, i);
  }
  const std::lock_guard lock(mutex_);
  invoices_ = std::move(invoices);
  removed_.assign(invoices_.size(), false);
  index_ = std::move(index);
  seed_ = seed;
  changes_ = 0;
  serving_ = true;
}

bool StripeInvoices::serving() const {
  const std::lock_guard lock(mutex_);
  return serving_;
}

std::vector<StripeInvoice> StripeInvoices::invoices() const {
  const std::lock_guard lock(mutex_);
  std::vector<StripeInvoice> out;
  for (std::size_t i = invoices_.size(); i-- > 0;)
    if (!removed_[i]) out.push_back(invoices_[i]);
  return out;
}

std::optional<std::size_t> StripeInvoices::live_index(const std::string& id) const {
  const auto it = index_.find(id);
  if (!serving_ || it == index_.end() || removed_[it->second]) return std::nullopt;
  return it->second;
}

std::vector<std::string> StripeInvoices::change(std::size_t count) {
  const std::lock_guard lock(mutex_);
  Rng rng(seed_ ^ (0x6368616e6765ull + ++changes_ * 0x9E3779B97F4A7C15ull));
  const auto dead = static_cast<std::size_t>(std::count(removed_.begin(), removed_.end(), true));
  const std::vector<std::uint32_t> chosen = choose_live(
      rng, invoices_.size(), dead, count, [this](std::uint32_t i) { return !removed_[i]; });
  std::vector<std::string> ids;
  for (const std::uint32_t i : chosen) {
    StripeInvoice& invoice = invoices_[i];
    invoice.lines.push_back(make_line(rng, clock_.next().seconds));
    invoice.total += invoice.lines.back().amount;
    invoice.amount_due += invoice.lines.back().amount;
    ids.push_back(invoice.id);
  }
  return ids;
}

void StripeInvoices::remove(const std::string& id) {
  const std::lock_guard lock(mutex_);
  const auto i = live_index(id);
  if (!i) throw std::out_of_range("no invoice \"" + id + "\" is served");
  removed_[*i] = true;
}

StripeAnswer StripeInvoices::list_invoices(const StripeCursor& cursor, std::size_t limit) const {
  const std::lock_guard lock(mutex_);
  std::vector<std::size_t> order;
  for (std::size_t i = invoices_.size(); i-- > 0;)
    if (!removed_[i]) order.push_back(i);
  return page_of(
      order, cursor, limit, [this](std::size_t i) -> const std::string& { return invoices_[i].id; },
      [this](std::size_t i) { return invoice_json(invoices_[i]); });
}

std::optional<std::string> StripeInvoices::invoice(const std::string& id) const {
  const std::lock_guard lock(mutex_);
  const auto i = live_index(id);
  if (!i) return std::nullopt;
  return invoice_json(invoices_[*i]);
}

StripeAnswer StripeInvoices::list_lines(const std::string& invoice, const StripeCursor& cursor,
                                        std::size_t limit) const {
  const std::lock_guard lock(mutex_);
  const auto i = live_index(invoice);
  if (!i) {
    StripeAnswer answer;
    answer.missing = StripeAnswer::Missing::Invoice;
    return answer;
  }
  const StripeInvoice& held = invoices_[*i];
  std::vector<std::size_t> order(held.lines.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  return page_of(
      order, cursor, limit,
      [&held](std::size_t k) -> const std::string& { return held.lines[k].id; },
      [&held](std::size_t k) { return line_json(held.lines[k], held.id); });
}

}  // namespace tsync::mock
