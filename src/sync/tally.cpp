// SPDX-License-Identifier: Apache-2.0
#include "sync/tally.hpp"

namespace tsync {

void Tally::add(const Tally& other) {
  accepted += other.accepted;
  rejected += other.rejected;
  all_rejected_responses += other.all_rejected_responses;
  if (first_reason.empty()) first_reason = other.first_reason;
  duplicates += other.duplicates;
  for (const std::string& key : other.moved_keys) note_key(moved_keys, key);
  for (const std::string& key : other.duplicate_keys) note_key(duplicate_keys, key);
}

std::string key_text(const Record& record, const std::vector<std::string>& key_fields) {
  std::string text;
  for (const std::string& name : key_fields) {
    const FieldValue* f = record.find(name);
    if (!text.empty()) text += ", ";
    text += f ? f->text.substr(0, 64) : std::string("null");
  }
  return text;
}

std::string keys_named(const std::vector<std::string>& keys, std::int64_t count) {
  std::string text = keys.size() == 1 ? "key " : "keys ";
  for (std::size_t i = 0; i < keys.size(); ++i)
    text += (i == 0                                                                    ? ""
             : i + 1 == keys.size() && count <= static_cast<std::int64_t>(keys.size()) ? " and "
                                                                                       : ", ") +
            keys[i];
  if (count > static_cast<std::int64_t>(keys.size())) text += ", ...";
  return text;
}

void count_response(Tally& tally, std::int64_t accepted, std::int64_t rejected,
                    const std::string& first_reason) {
  tally.accepted += accepted;
  tally.rejected += rejected;
  if (accepted == 0 && rejected > 0) {
    ++tally.all_rejected_responses;
    if (tally.first_reason.empty()) tally.first_reason = first_reason;
  }
}

}  // namespace tsync
