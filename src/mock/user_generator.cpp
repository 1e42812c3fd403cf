// SPDX-License-Identifier: Apache-2.0
#include "mock/user_generator.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

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

template <typename List>
std::uint8_t pick(Rng& rng, const List& list) {
  return static_cast<std::uint8_t>(rng.below(list.size()));
}

void pick_company(Rng& rng, UserRecipe& r) {
  r.company_pattern = static_cast<std::uint8_t>(rng.below(kCompanyPatterns));
  r.company_a = static_cast<std::uint8_t>(rng.below(kCompanyAdjectives.size()));
  r.company_b = static_cast<std::uint8_t>(rng.below(kCompanyNouns.size()));
  r.company_suffix = pick(rng, kCompanySuffixes);
}

void pick_email(Rng& rng, UserRecipe& r) {
  r.email_style = static_cast<std::uint8_t>(rng.below(kEmailStyles));
  r.email_domain = pick(rng, kEmailDomains);
  r.email_number = static_cast<std::uint8_t>(rng.below(100));
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

void append_email(std::string& out, const UserRecipe& r) {
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

void append_company(std::string& out, const UserRecipe& r) {
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

void append_id(std::string& out, const UserRecipe& r) {
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

}  // namespace

void pick_person(Rng& rng, UserRecipe& r) {
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

void change_user(Rng& rng, UserRecipe& r) {
  r.job = static_cast<std::uint8_t>((r.job + 1 + rng.below(kJobs.size() - 1)) % kJobs.size());
  r.job_level = pick(rng, kJobLevels);
  if (rng.one_in(2)) {
    pick_company(rng, r);
  } else {
    pick_email(rng, r);
  }
}

Instant user_instant(std::int64_t millis, TimestampStyle style) {
  const std::int64_t seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000;
  const auto ms = static_cast<std::int32_t>(millis - seconds * 1000);
  return Instant{seconds, style == TimestampStyle::Fractional ? ms * 1'000'000 : 0};
}

std::string id_text(const UserRecipe& r) {
  std::string out;
  append_id(out, r);
  return out;
}

void fill_user(const UserRecipe& r, TimestampStyle style, User& u) {
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

bool serves_before(const UserRecipe& a, const UserRecipe& b) {
  if (a.updated != b.updated) return a.updated < b.updated;
  if (a.id_hi != b.id_hi) return a.id_hi < b.id_hi;
  return a.id_lo < b.id_lo;
}

Catalog::Slot add_user(CatalogWriter& writer, const UserRecipe& r, std::uint32_t index,
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

std::string render_user(const User& user) {
  std::string out;
  append_user_json(out, user);
  return out;
}

Timeline days_before(Instant end, std::int64_t days) {
  if (days < 1) throw std::invalid_argument("a timeline of days needs at least one day");
  return Timeline{Instant{end.seconds - days * 86400, 0}, days * 86400, true};
}

std::vector<UserRecipe> generate_users(std::size_t count, std::uint64_t seed, TimestampStyle style,
                                       Timeline timeline) {
  Rng rng(seed);
  std::vector<UserRecipe> recipes(count);
  // Gaps average out to spread the users over the timeline, and about one user
  // in 20 shares the previous user's updatedAt.
  const std::int64_t average_gap =
      std::max<std::int64_t>(1, timeline.seconds / static_cast<std::int64_t>(count + 1));
  const std::int64_t last_ms = (timeline.start.seconds + timeline.seconds) * 1000 - 1;
  std::int64_t updated_ms = timeline.start.seconds * 1000;
  for (std::size_t i = 0; i < count; ++i) {
    UserRecipe& r = recipes[i];
    pick_person(rng, r);
    const bool tie = rng.one_in(20) && i > 0;
    const auto gap =
        1 + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(2 * average_gap - 1)));
    const auto ms = static_cast<std::int64_t>(rng.below(1000));
    const bool never_updated = rng.one_in(8);
    const auto age = static_cast<std::int64_t>(rng.below(kMaxAgeMillis));
    if (!tie) updated_ms = (updated_ms / 1000 + gap) * 1000 + ms;
    if (timeline.bounded) updated_ms = std::min(updated_ms, last_ms);
    r.updated = user_instant(updated_ms, style);
    r.created = user_instant(never_updated ? updated_ms : updated_ms - age, style);
  }
  // Only users sharing an instant can be out of order.
  std::sort(recipes.begin(), recipes.end(), serves_before);
  return recipes;
}

}  // namespace tsync::mock
