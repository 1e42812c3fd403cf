#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "timestamp.hpp"

namespace tsync {

// One text column of a record: SQL NULL when `null`, else `text` (may hold any
// bytes, including NUL). Assigning reuses the string's capacity.
struct Field {
  std::string text;
  bool null = true;

  void set(std::string_view value) {
    text.assign(value.data(), value.size());
    null = false;
  }
  void clear() {
    text.clear();
    null = true;
  }
};

// A user record ready for the replica: every column as it will be stored
// (updatedAt and a parseable createdAt normalised to UTC fixed-width text),
// plus the API's own updatedAt text, which becomes the cursor.
struct UserRecord {
  enum Column : std::size_t {
    kId,
    kName,
    kEmail,
    kAddress,
    kCompany,
    kJob,
    kUpdatedAt,
    kCreatedAt
  };
  static constexpr std::size_t kColumns = 8;
  static constexpr std::array<std::string_view, kColumns> kNames{
      "id", "name", "email", "address", "company", "job", "updatedAt", "createdAt"};

  std::array<Field, kColumns> fields;
  Instant updated;
  std::string updated_text;  // updatedAt exactly as the API sent it

  const Field& operator[](Column c) const { return fields[c]; }
  Field& operator[](Column c) { return fields[c]; }
};

}  // namespace tsync
