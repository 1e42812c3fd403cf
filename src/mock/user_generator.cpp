// SPDX-License-Identifier: Apache-2.0
#include "mock/user_generator.hpp"

#include "mock/random.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace tsync::mock {
namespace {

// A name as shown, and the lowercase ASCII form used in email addresses.
struct Name {
  std::string_view shown;
  std::string_view ascii;
};

constexpr std::array<Name, 48> kFirstNames{{
    {"James", "james"},     {"Mary", "mary"},
    {"Robert", "robert"},   {"Patricia", "patricia"},
    {"John", "john"},       {"Jennifer", "jennifer"},
    {"Michael", "michael"}, {"Linda", "linda"},
    {"David", "david"},     {"Elizabeth", "elizabeth"},
    {"William", "william"}, {"Barbara", "barbara"},
    {"Richard", "richard"}, {"Susan", "susan"},
    {"Joseph", "joseph"},   {"Jessica", "jessica"},
    {"Thomas", "thomas"},   {"Sarah", "sarah"},
    {"Charles", "charles"}, {"Karen", "karen"},
    {"Daniel", "daniel"},   {"Nancy", "nancy"},
    {"Matthew", "matthew"}, {"Lisa", "lisa"},
    {"Anthony", "anthony"}, {"Betty", "betty"},
    {"Mark", "mark"},       {"Margaret", "margaret"},
    {"Sofia", "sofia"},     {"Liam", "liam"},
    {"Olivia", "olivia"},   {"Noah", "noah"},
    {"Emma", "emma"},       {"Aisha", "aisha"},
    {"Mateo", "mateo"},     {"Yuki", "yuki"},
    {"Priya", "priya"},     {"Wei", "wei"},
    {"José", "jose"},       {"Zoë", "zoe"},
    {"Björn", "bjorn"},     {"Chloé", "chloe"},
    {"Søren", "soren"},     {"Łucja", "lucja"},
    {"Amélie", "amelie"},   {"Renée", "renee"},
    {"Kwame", "kwame"},     {"Ingrid", "ingrid"},
}};

constexpr std::array<Name, 48> kLastNames{{
    {"Smith", "smith"},
    {"Johnson", "johnson"},
    {"Williams", "williams"},
    {"Brown", "brown"},
    {"Jones", "jones"},
    {"Garcia", "garcia"},
    {"Miller", "miller"},
    {"Davis", "davis"},
    {"Rodriguez", "rodriguez"},
    {"Martinez", "martinez"},
    {"Hernandez", "hernandez"},
    {"Lopez", "lopez"},
    {"Gonzalez", "gonzalez"},
    {"Wilson", "wilson"},
    {"Anderson", "anderson"},
    {"Thomas", "thomas"},
    {"Taylor", "taylor"},
    {"Moore", "moore"},
    {"Jackson", "jackson"},
    {"Martin", "martin"},
    {"Lee", "lee"},
    {"Perez", "perez"},
    {"Thompson", "thompson"},
    {"White", "white"},
    {"Harris", "harris"},
    {"Sanchez", "sanchez"},
    {"Clark", "clark"},
    {"Ramirez", "ramirez"},
    {"Lewis", "lewis"},
    {"Robinson", "robinson"},
    {"Walker", "walker"},
    {"Young", "young"},
    {"Allen", "allen"},
    {"King", "king"},
    {"Wright", "wright"},
    {"Scott", "scott"},
    {"Nguyen", "nguyen"},
    {"Kim", "kim"},
    {"Patel", "patel"},
    {"Müller", "muller"},
    {"Núñez", "nunez"},
    {"O'Brien", "obrien"},
    {"Kowalski", "kowalski"},
    {"Rossi", "rossi"},
    {"Tanaka", "tanaka"},
    {"Schmidt", "schmidt"},
    {"Dubois", "dubois"},
    {"van der Berg", "vanderberg"},
}};

constexpr std::array<std::string_view, 6> kEmailDomains{"example.com",       "example.org",
                                                        "example.net",       "mail.example.com",
                                                        "inbox.example.org", "users.example.net"};
constexpr std::size_t kEmailStyles = 7;

constexpr std::array<std::string_view, 30> kStreets{
    "Maple",   "Oak",     "Pine",   "Cedar",  "Elm",      "Washington", "Lake",     "Hill",
    "Main",    "Park",    "Sunset", "River",  "Church",   "Mill",       "Spring",   "Highland",
    "Meadow",  "Forest",  "Ridge",  "Willow", "Chestnut", "Walnut",     "Franklin", "Jefferson",
    "Lincoln", "Madison", "Cherry", "Birch",  "Valley",   "Harbor"};
constexpr std::array<std::string_view, 10> kStreetSuffixes{
    "Street", "Avenue", "Road", "Lane", "Drive", "Court", "Boulevard", "Way", "Place", "Terrace"};
constexpr std::array<std::string_view, 30> kCities{
    "Springfield, IL", "Portland, OR",  "Austin, TX",   "Denver, CO",  "Madison, WI",
    "Boston, MA",      "Seattle, WA",   "Columbus, OH", "Raleigh, NC", "Phoenix, AZ",
    "Atlanta, GA",     "Nashville, TN", "Omaha, NE",    "Boise, ID",   "Albany, NY",
    "Salem, OR",       "Tucson, AZ",    "Fresno, CA",   "Oakland, CA", "Tampa, FL",
    "Miami, FL",       "Richmond, VA",  "Buffalo, NY",  "Detroit, MI", "Lincoln, NE",
    "Reno, NV",        "Dayton, OH",    "Eugene, OR",   "Provo, UT",   "Savannah, GA"};

constexpr std::array<std::string_view, 24> kCompanyAdjectives{
    "Blue",    "Bright",  "Northern", "Silver",  "Green",  "Rapid",     "Summit", "Pioneer",
    "Golden",  "Granite", "Coastal",  "Quantum", "Red",    "Evergreen", "Apex",   "Iron",
    "Crystal", "True",    "Prime",    "Stellar", "Harbor", "Open",      "Lucky",  "Clear"};
constexpr std::array<std::string_view, 24> kCompanyNouns{
    "Harbor",  "Peak",   "River", "Labs",   "Works",  "Bridge",  "Field",   "Stone",
    "Forge",   "Pixel",  "Cloud", "Signal", "Vertex", "Orbit",   "Anchor",  "Beacon",
    "Circuit", "Canyon", "Maple", "Falcon", "Meadow", "Lantern", "Compass", "Ember"};
constexpr std::array<std::string_view, 16> kCompanySuffixes{
    "Inc",          "LLC",       "Ltd",      "Group", "Systems",    "Solutions",
    "Technologies", "Partners",  "Holdings", "Co",    "Industries", "Consulting",
    "Analytics",    "Logistics", "Media",    "Foods"};
constexpr std::size_t kCompanyPatterns = 5;

constexpr std::array<std::string_view, 8> kJobLevels{
    "", "", "", "Senior ", "Junior ", "Lead ", "Principal ", "Associate "};
constexpr std::array<std::string_view, 36> kJobs{"Software Engineer",
                                                 "Data Analyst",
                                                 "Product Manager",
                                                 "Accountant",
                                                 "Graphic Designer",
                                                 "Sales Representative",
                                                 "Nurse",
                                                 "Civil Engineer",
                                                 "Teacher",
                                                 "Pharmacist",
                                                 "Marketing Manager",
                                                 "HR Specialist",
                                                 "Financial Analyst",
                                                 "Operations Manager",
                                                 "Web Developer",
                                                 "Customer Success Manager",
                                                 "Architect",
                                                 "Electrician",
                                                 "Paralegal",
                                                 "Copywriter",
                                                 "Research Scientist",
                                                 "Logistics Coordinator",
                                                 "Account Executive",
                                                 "Systems Administrator",
                                                 "UX Researcher",
                                                 "Project Manager",
                                                 "QA Engineer",
                                                 "Dental Hygienist",
                                                 "Physical Therapist",
                                                 "Chef",
                                                 "Mechanical Engineer",
                                                 "Business Analyst",
                                                 "Security Engineer",
                                                 "Technical Writer",
                                                 "Recruiter",
                                                 "Office Manager"};

struct Offset {
  std::int64_t seconds;
  std::string_view text;
};
constexpr std::array<Offset, 10> kOffsets{{{0, "+00:00"},
                                           {3600, "+01:00"},
                                           {7200, "+02:00"},
                                           {19800, "+05:30"},
                                           {32400, "+09:00"},
                                           {45900, "+12:45"},
                                           {-10800, "-03:00"},
                                           {-18000, "-05:00"},
                                           {-28800, "-08:00"},
                                           {-34200, "-09:30"}}};

// createdAt is at most this long before updatedAt.
constexpr std::int64_t kMaxAgeMillis = 400LL * 86400 * 1000;

// Everything needed to render one user; a few dozen bytes instead of eight strings.
struct Recipe {
  std::uint64_t id_hi = 0;
  std::uint64_t id_lo = 0;
  Instant updated;
  Instant created;
  std::uint32_t zip = 0;
  std::uint16_t house = 0;
  std::uint16_t apartment = 0;  // 0: none
  std::uint8_t first = 0, last = 0;
  std::uint8_t street = 0, street_suffix = 0, city = 0;
  std::uint8_t company_pattern = 0, company_a = 0, company_b = 0, company_suffix = 0;
  std::uint8_t job_level = 0, job = 0;
  std::uint8_t email_style = 0, email_domain = 0, email_number = 0;
  std::uint8_t offset = 0;
  std::uint8_t state = kLiveState;  // or removed_state(how)
};

template <typename List>
std::uint8_t pick(Rng& rng, const List& list) {
  return static_cast<std::uint8_t>(rng.below(list.size()));
}

void pick_company(Rng& rng, Recipe& r) {
  r.company_pattern = static_cast<std::uint8_t>(rng.below(kCompanyPatterns));
  r.company_a = static_cast<std::uint8_t>(rng.below(kCompanyAdjectives.size()));
  r.company_b = static_cast<std::uint8_t>(rng.below(kCompanyNouns.size()));
  r.company_suffix = pick(rng, kCompanySuffixes);
}

void pick_email(Rng& rng, Recipe& r) {
  r.email_style = static_cast<std::uint8_t>(rng.below(kEmailStyles));
  r.email_domain = pick(rng, kEmailDomains);
  r.email_number = static_cast<std::uint8_t>(rng.below(100));
}

// Draws everything but the timestamps. Always draws the same number of values,
// so users do not depend on the timestamp style.
void pick_person(Rng& rng, Recipe& r) {
  const std::uint64_t hi = rng.next();
  const std::uint64_t lo = rng.next();
  // UUID version 4 and variant bits, so ids look like real random UUIDs.
  r.id_hi = (hi & ~0xF000ull) | 0x4000ull;
  r.id_lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;
  r.first = pick(rng, kFirstNames);
  r.last = pick(rng, kLastNames);
  r.house = static_cast<std::uint16_t>(1 + rng.below(9999));
  r.street = pick(rng, kStreets);
  r.street_suffix = pick(rng, kStreetSuffixes);
  r.apartment = static_cast<std::uint16_t>(rng.one_in(4) ? 1 + rng.below(450) : (rng.next(), 0));
  r.city = pick(rng, kCities);
  r.zip = static_cast<std::uint32_t>(10000 + rng.below(89999));
  pick_company(rng, r);
  r.job_level = pick(rng, kJobLevels);
  r.job = pick(rng, kJobs);
  pick_email(rng, r);
  r.offset = pick(rng, kOffsets);
}

// The served instant of a time given in milliseconds since 1970.
Instant instant_of(std::int64_t millis, TimestampStyle style) {
  const std::int64_t seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000;
  const auto ms = static_cast<std::int32_t>(millis - seconds * 1000);
  return Instant{seconds, style == TimestampStyle::Fractional ? ms * 1'000'000 : 0};
}

void append_timestamp(std::string& out, Instant t, TimestampStyle style, std::uint8_t offset) {
  char text[kNormalisedWidth];
  switch (style) {
    case TimestampStyle::Utc:
      format_utc(t, text);
      out.append(text, 19);
      out.push_back('Z');
      break;
    case TimestampStyle::Fractional:
      format_utc(t, text);
      out.append(text, 23);
      out.push_back('Z');
      break;
    case TimestampStyle::Offset: {
      const Offset& o = kOffsets[offset];
      format_utc(Instant{t.seconds + o.seconds, 0}, text);
      out.append(text, 19);
      out.append(o.text);
      break;
    }
  }
}

void append_hex(std::string& out, std::uint64_t value, int shift_from, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < digits; ++i) out.push_back(kHex[(value >> (shift_from - 4 * i)) & 0xF]);
}

void append_email(std::string& out, const Recipe& r) {
  const Name& first = kFirstNames[r.first];
  const Name& last = kLastNames[r.last];
  switch (r.email_style) {
    case 0:
      out.append(first.ascii).append(".").append(last.ascii);
      break;
    case 1:
      out.append(first.ascii).append(last.ascii);
      break;
    case 2:
      out.append(first.ascii.substr(0, 1)).append(".").append(last.ascii);
      break;
    case 3:
      out.append(first.ascii).append("_").append(last.ascii);
      append_number(out, r.email_number);
      break;
    case 4:
      out.append(last.ascii).append(".").append(first.ascii);
      break;
    case 5:
      out.append(first.ascii);
      append_number(out, 1900u + r.email_number, 4);
      break;
    default:
      out.append(first.ascii).append(".").append(last.ascii);
      append_number(out, r.email_number, 2);
      break;
  }
  out.push_back('@');
  out.append(kEmailDomains[r.email_domain]);
}

void append_company(std::string& out, const Recipe& r) {
  const std::string_view last_a = kLastNames[r.company_a % kLastNames.size()].shown;
  const std::string_view last_b = kLastNames[r.company_b % kLastNames.size()].shown;
  const std::string_view adjective = kCompanyAdjectives[r.company_a];
  const std::string_view noun = kCompanyNouns[r.company_b];
  const std::string_view suffix = kCompanySuffixes[r.company_suffix];
  switch (r.company_pattern) {
    case 0:
      out.append(last_a).append(" ").append(suffix);
      break;
    case 1:
      out.append(last_a).append(" & ").append(last_b);
      break;
    case 2:
      out.append(adjective).append(" ").append(noun).append(" ").append(suffix);
      break;
    case 3:
      out.append(adjective).append(" ").append(noun);
      break;
    default:
      out.append(last_a).append("-").append(last_b).append(" ").append(suffix);
      break;
  }
}

void append_id(std::string& out, const Recipe& r) {
  append_hex(out, r.id_hi, 60, 8);
  out.push_back('-');
  append_hex(out, r.id_hi, 28, 4);
  out.push_back('-');
  append_hex(out, r.id_hi, 12, 4);
  out.push_back('-');
  append_hex(out, r.id_lo, 60, 4);
  out.push_back('-');
  append_hex(out, r.id_lo, 44, 12);
}

std::string id_text(const Recipe& r) {
  std::string out;
  append_id(out, r);
  return out;
}

// Writes the user's fields into `u`, reusing its strings' capacity.
void fill_user(const Recipe& r, TimestampStyle style, User& u) {
  u.id.clear();
  append_id(u.id, r);

  u.name.assign(kFirstNames[r.first].shown).append(" ").append(kLastNames[r.last].shown);

  u.email.clear();
  append_email(u.email, r);

  u.address.clear();
  append_number(u.address, r.house);
  u.address.append(" ")
      .append(kStreets[r.street])
      .append(" ")
      .append(kStreetSuffixes[r.street_suffix]);
  if (r.apartment != 0) {
    u.address.append(" Apt ");
    append_number(u.address, r.apartment);
  }
  u.address.append(", ").append(kCities[r.city]).append(" ");
  append_number(u.address, r.zip, 5);

  u.company.clear();
  append_company(u.company, r);

  u.job.assign(kJobLevels[r.job_level]).append(kJobs[r.job]);

  u.updatedAt.clear();
  append_timestamp(u.updatedAt, r.updated, style, r.offset);
  u.createdAt.clear();
  append_timestamp(u.createdAt, r.created, style, r.offset);
  u.updated = r.updated;
}

void append_user_json(std::string& out, const User& u) {
  out.append(R"({"id":)");
  append_json_string(out, u.id);
  out.append(R"(,"name":)");
  append_json_string(out, u.name);
  out.append(R"(,"email":)");
  append_json_string(out, u.email);
  out.append(R"(,"address":)");
  append_json_string(out, u.address);
  out.append(R"(,"company":)");
  append_json_string(out, u.company);
  out.append(R"(,"job":)");
  append_json_string(out, u.job);
  out.append(R"(,"updatedAt":)");
  append_json_string(out, u.updatedAt);
  out.append(R"(,"createdAt":)");
  append_json_string(out, u.createdAt);
  out.push_back('}');
}

// Serving order of users: (updated, id); the id's text order is its numeric order.
bool serves_before(const Recipe& a, const Recipe& b) {
  if (a.updated != b.updated) return a.updated < b.updated;
  if (a.id_hi != b.id_hi) return a.id_hi < b.id_hi;
  return a.id_lo < b.id_lo;
}

// Average rendered size of one user, for reserving block space.
constexpr std::size_t kTypicalUserBytes = 300;

// Renders user `index`, or its tombstone, into `writer` and returns its slot.
Catalog::Slot add_user(CatalogWriter& writer, const Recipe& r, std::uint32_t index,
                       TimestampStyle style) {
  thread_local User scratch;
  fill_user(r, style, scratch);
  return writer.add(r.updated, index, [&](std::string& out) {
    if (r.state == removed_state(Tombstone::Flag)) {
      out.append(R"({"id":)");
      append_json_string(out, scratch.id);
      out.append(R"(,"updatedAt":)");
      append_json_string(out, scratch.updatedAt);
      out.append(R"(,"deleted":true})");
      return;
    }
    append_user_json(out, scratch);
    if (r.state == removed_state(Tombstone::At)) {
      out.pop_back();
      out.append(R"(,"deletedAt":")");
      append_timestamp(out, r.updated,
                       style == TimestampStyle::Offset ? TimestampStyle::Utc : style, 0);
      out.append("\"}");
    }
  });
}

// A new job, and a new company or email.
void change_user(Rng& rng, Recipe& r) {
  r.job = static_cast<std::uint8_t>((r.job + 1 + rng.below(kJobs.size() - 1)) % kJobs.size());
  r.job_level = pick(rng, kJobLevels);
  if (rng.one_in(2)) {
    pick_company(rng, r);
  } else {
    pick_email(rng, r);
  }
}

}  // namespace

std::string render_user(const User& user) {
  std::string out;
  append_user_json(out, user);
  return out;
}

struct UserStore::Impl {
  Impl(std::uint64_t seed, TimestampStyle timestamp_style)
      : style(timestamp_style), rng(seed ^ 0x6D75746174696F6Eull) {}

  // The next timestamp of a mutation batch: strictly later than `latest` for the
  // first one of a batch, then later or (1 in 20) equal to the previous one.
  Instant next_timestamp(bool first_of_batch) {
    const bool tie = rng.one_in(20);
    const std::int64_t gap_seconds = 1 + static_cast<std::int64_t>(rng.below(5));
    const auto ms = static_cast<std::int64_t>(rng.below(1000));
    if (tie && !first_of_batch) return latest;
    latest = instant_of((latest.seconds + gap_seconds) * 1000 + ms, style);
    return latest;
  }

  void publish(std::shared_ptr<Catalog> next) { catalog = std::move(next); }

  // Sorts `added` into serving order and publishes the catalog without the users
  // marked in `replaced`, with those of `added` rendered after them.
  void republish(const std::vector<bool>& replaced, std::vector<std::uint32_t>& added) {
    std::sort(added.begin(), added.end(), [&](std::uint32_t a, std::uint32_t b) {
      return serves_before(recipes[a], recipes[b]);
    });
    auto next = catalog->without(replaced, added.size());
    CatalogWriter writer(*next, added.size() * kTypicalUserBytes);
    for (const std::uint32_t i : added)
      next->slots.push_back(add_user(writer, recipes[i], i, style));
    writer.close();
    publish(std::move(next));
  }

  // The index of the user with id `id`, extending the id index to the users
  // added since the last look-up.
  std::optional<std::uint32_t> find(const std::string& id) const {
    for (; indexed < recipes.size(); ++indexed)
      by_id.emplace(id_text(recipes[indexed]), static_cast<std::uint32_t>(indexed));
    const auto it = by_id.find(id);
    if (it == by_id.end()) return std::nullopt;
    return it->second;
  }

  mutable std::mutex mutex;
  TimestampStyle style;
  Rng rng;  // drives mutations
  std::vector<Recipe> recipes;
  std::size_t removed = 0;  // recipes not live
  std::shared_ptr<const Catalog> catalog;
  Instant latest = kEpochStart;  // the latest timestamp served so far, raw positions included
  // Id -> index of the first `indexed` users; a user's id never changes.
  mutable std::unordered_map<std::string, std::uint32_t> by_id;
  mutable std::size_t indexed = 0;
};

Timeline days_before(Instant end, std::int64_t days) {
  if (days < 1) throw std::invalid_argument("a timeline of days needs at least one day");
  return Timeline{Instant{end.seconds - days * 86400, 0}, days * 86400, true};
}

UserStore::UserStore(std::size_t count, std::uint64_t seed, TimestampStyle style, Timeline timeline)
    : impl_(std::make_unique<Impl>(seed, style)) {
  if (count >= Catalog::kRaw) throw std::length_error("too many mock users");
  Rng rng(seed);
  auto& recipes = impl_->recipes;
  recipes.resize(count);

  // Gaps average out to spread the users over the timeline, and about one user
  // in 20 shares the previous user's updatedAt.
  const std::int64_t average_gap =
      std::max<std::int64_t>(1, timeline.seconds / static_cast<std::int64_t>(count + 1));
  const std::int64_t last_ms = (timeline.start.seconds + timeline.seconds) * 1000 - 1;
  std::int64_t updated_ms = timeline.start.seconds * 1000;
  for (std::size_t i = 0; i < count; ++i) {
    Recipe& r = recipes[i];
    pick_person(rng, r);
    const bool tie = rng.one_in(20) && i > 0;
    const auto gap =
        1 + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(2 * average_gap - 1)));
    const auto ms = static_cast<std::int64_t>(rng.below(1000));
    const bool never_updated = rng.one_in(8);
    const auto age = static_cast<std::int64_t>(rng.below(kMaxAgeMillis));
    if (!tie) updated_ms = (updated_ms / 1000 + gap) * 1000 + ms;
    if (timeline.bounded) updated_ms = std::min(updated_ms, last_ms);
    r.updated = instant_of(updated_ms, style);
    r.created = instant_of(never_updated ? updated_ms : updated_ms - age, style);
  }
  // Only users sharing an instant can be out of order.
  std::sort(recipes.begin(), recipes.end(), serves_before);
  if (!recipes.empty()) impl_->latest = recipes.back().updated;

  auto catalog = std::make_shared<Catalog>();
  catalog->slots.reserve(count);
  CatalogWriter writer(*catalog, count * kTypicalUserBytes);
  for (std::size_t i = 0; i < count; ++i)
    catalog->slots.push_back(add_user(writer, recipes[i], static_cast<std::uint32_t>(i), style));
  writer.close();
  impl_->publish(std::move(catalog));
}

UserStore::~UserStore() = default;

void UserStore::mutate(std::size_t updates, std::size_t additions) {
  const std::lock_guard lock(impl_->mutex);
  auto& recipes = impl_->recipes;
  auto& rng = impl_->rng;
  const std::size_t before = recipes.size();
  if (before + additions >= Catalog::kRaw) throw std::length_error("too many mock users");
  updates = std::min(updates, before - impl_->removed);

  // Which users change, in the order they get their new timestamps.
  std::vector<std::uint32_t> changed =
      choose_live(rng, before, impl_->removed, updates,
                  [&](std::uint32_t i) { return recipes[i].state == kLiveState; });
  changed.reserve(updates + additions);
  std::vector<bool> marked(before, false);
  for (const std::uint32_t i : changed) marked[i] = true;

  bool first = true;
  for (const std::uint32_t i : changed) {
    Recipe& r = recipes[i];
    change_user(rng, r);
    r.updated = impl_->next_timestamp(first);
    first = false;
  }
  for (std::size_t k = 0; k < additions; ++k) {
    Recipe r;
    pick_person(rng, r);
    r.updated = impl_->next_timestamp(first);
    r.created = r.updated;
    first = false;
    changed.push_back(static_cast<std::uint32_t>(recipes.size()));
    recipes.push_back(r);
  }
  // Everything else keeps its place; the changed users are later than all of it.
  impl_->republish(marked, changed);
}

std::vector<std::string> UserStore::remove(std::size_t count, Tombstone tombstone) {
  const std::lock_guard lock(impl_->mutex);
  auto& recipes = impl_->recipes;
  std::vector<std::uint32_t> chosen =
      choose_live(impl_->rng, recipes.size(), impl_->removed, count,
                  [&](std::uint32_t i) { return recipes[i].state == kLiveState; });
  std::vector<bool> marked(recipes.size(), false);
  bool first = true;
  for (const std::uint32_t i : chosen) {
    marked[i] = true;
    Recipe& r = recipes[i];
    r.state = static_cast<std::uint8_t>(removed_state(tombstone));
    if (tombstone != Tombstone::None) {
      r.updated = impl_->next_timestamp(first);
      first = false;
    }
  }
  impl_->removed += chosen.size();
  std::sort(chosen.begin(), chosen.end(), [&](std::uint32_t a, std::uint32_t b) {
    return serves_before(recipes[a], recipes[b]);
  });
  std::vector<std::string> ids;
  ids.reserve(chosen.size());
  for (const std::uint32_t i : chosen) ids.push_back(id_text(recipes[i]));
  if (tombstone == Tombstone::None) chosen.clear();
  impl_->republish(marked, chosen);
  return ids;
}

void UserStore::restore(const std::vector<std::string>& ids) {
  const std::lock_guard lock(impl_->mutex);
  auto& recipes = impl_->recipes;
  const std::unordered_set<std::string> wanted(ids.begin(), ids.end());
  std::vector<bool> marked(recipes.size(), false);
  std::vector<std::uint32_t> back;
  bool first = true;
  for (std::uint32_t i = 0; i < recipes.size(); ++i) {
    Recipe& r = recipes[i];
    if (r.state == kLiveState || wanted.count(id_text(r)) == 0) continue;
    marked[i] = true;
    back.push_back(i);
    r.state = kLiveState;
    change_user(impl_->rng, r);
    r.updated = impl_->next_timestamp(first);
    first = false;
  }
  if (back.empty()) return;
  impl_->removed -= back.size();
  impl_->republish(marked, back);
}

void UserStore::touch(const std::vector<std::string>& ids) {
  const std::lock_guard lock(impl_->mutex);
  auto& recipes = impl_->recipes;
  std::vector<bool> marked(recipes.size(), false);
  std::vector<std::uint32_t> changed;
  bool first = true;
  for (const std::string& id : ids) {
    const auto index = impl_->find(id);
    if (!index || marked[*index] || recipes[*index].state != kLiveState) continue;
    marked[*index] = true;
    changed.push_back(*index);
    Recipe& r = recipes[*index];
    change_user(impl_->rng, r);
    r.updated = impl_->next_timestamp(first);
    first = false;
  }
  if (changed.empty()) return;
  impl_->republish(marked, changed);
}

std::optional<std::uint32_t> UserStore::record_index(const std::string& id) const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->find(id);
}

void UserStore::add_raw(const std::string& json_object, Instant position) {
  const std::lock_guard lock(impl_->mutex);
  auto next = impl_->catalog->with_raw(json_object, position);
  impl_->latest = std::max(impl_->latest, position);
  impl_->publish(std::move(next));
}

std::vector<User> UserStore::snapshot() const {
  const std::lock_guard lock(impl_->mutex);
  std::vector<User> users;
  users.reserve(impl_->recipes.size());
  for (const Catalog::Slot& s : impl_->catalog->slots) {
    if (s.record == Catalog::kRaw || impl_->recipes[s.record].state != kLiveState) continue;
    fill_user(impl_->recipes[s.record], impl_->style, users.emplace_back());
  }
  return users;
}

std::size_t UserStore::size() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->recipes.size() - impl_->removed;
}

std::shared_ptr<const Catalog> UserStore::catalog() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->catalog;
}

}  // namespace tsync::mock
