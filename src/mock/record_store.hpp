// SPDX-License-Identifier: Apache-2.0
#pragma once

// Generated records of any shape for the mock API's generic endpoints: integer,
// UUID-like or composite keys, a cursor field in one of three formats, and extra
// fields of every JSON type, whose set can grow between two reads.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/timestamp.hpp"
#include "mock/catalog.hpp"
#include "mock/record_schema.hpp"
#include "mock/record_text.hpp"
#include "mock/tombstone.hpp"

namespace tsync::mock {

// One served record as a test sees it, to compare a replica with.
struct ServedRecord {
  bool raw = false;                        // added with add_raw: no key, position only
  bool tombstone = false;                  // a removed record served as a tombstone
  std::string id;                          // the id's text: the UUID without quotes, or digits
  std::optional<std::int64_t> account_id;  // Composite keys only
  std::string cursor;                      // the cursor value's text: ISO text or digits
  Instant updated;                         // the cursor as an instant (a raw record's position)
  std::string json;                        // the whole object exactly as served
};

// The records one generic endpoint serves, generated deterministically from a
// seed: the same (schema, count, seed) and the same calls give the same records,
// byte for byte. Cursor values spread over 2024, about one record in 20 sharing
// its predecessor's instant. A record's values are a function of the seed, its
// index and its version, so memory is a few words per record plus the served text,
// rendered once into a Catalog and re-rendered only when the record changes.
// Serving order is (cursor instant, creation index).
// A removed record is one more state of the same entry: left out of the catalog,
// or rendered as a tombstone at a new cursor.
// Thread-safe: every member locks an internal mutex.
class RecordStore {
 public:
  // Throws std::invalid_argument when two fields share a name or one is named
  // like a key field or the cursor field.
  RecordStore(RecordSchema schema, std::size_t count, std::uint64_t seed);
  ~RecordStore();
  RecordStore(const RecordStore&) = delete;
  RecordStore& operator=(const RecordStore&) = delete;

  // Gives `updates` distinct live records (chosen deterministically; all of
  // them when there are fewer) new values for their extra fields and a cursor later
  // than every one so far, raw positions included; then adds `additions` new
  // records, later still. Changed and added records carry every field of the
  // schema as it is now.
  void mutate(std::size_t updates, std::size_t additions);

  // Removes `count` distinct live records (chosen deterministically; all of them
  // when there are fewer) and returns their ids in the order of their creation:
  // the id's text as in ServedRecord::id, "account_id/id" for Composite keys
  // ("3/12"). How each is served from then on depends on `tombstone`:
  //   None: not at all.
  //   Flag: {<key fields>, <cursor field>: <new cursor>, "deleted": true}
  //   At:   the last version's key and extra fields, the cursor field at the new
  //         cursor, then "deletedAt": the new cursor as ISO 8601 UTC text with
  //         milliseconds ("2024-01-15T10:30:00.123Z") whatever the cursor format.
  // The new cursors are those of a mutate() batch: the first later than every
  // cursor so far, raw positions included, the next later or equal. A tombstone
  // is served like any record until restore(). Throws std::invalid_argument,
  // removing nothing, when the schema has a field named "deleted" (Flag) or
  // "deletedAt" (At).
  std::vector<std::string> remove(std::size_t count, Tombstone tombstone = Tombstone::None);

  // Serves the removed records among `ids` (texts as remove() returns them) as
  // live records again, each as a new version (new values, every field of the
  // schema) at new cursors as in mutate(); their tombstones are no longer
  // served. Ids that name no removed record are ignored.
  void restore(const std::vector<std::string>& ids);

  // Gives exactly the live records among `ids` (texts as remove() returns them)
  // new versions, as mutate() gives the records it picks: new values, every
  // field of the schema, and cursors later than every one so far, in the order
  // of `ids`. Unknown ids, removed records and repeats are ignored.
  void touch(const std::vector<std::string>& ids);

  // The index of the record whose id is `id` (as remove() returns ids), which
  // is Catalog::Slot::record of its slot; nullopt when no record has that id.
  std::optional<std::uint32_t> record_index(const std::string& id) const;

  // Grows the schema by one field. Records keep their text until they change or
  // are added: a read before the next mutate() does not see the field.
  // Throws std::invalid_argument when the name is taken.
  void add_field(FieldSpec field);

  // Serves `json_object` verbatim among the records, positioned as if its cursor
  // were `position` (after the records of that instant). Used to serve bad records
  // and hostile field names. Not counted by size().
  void add_raw(const std::string& json_object, Instant position);

  // From now on, the new cursors of mutate(), remove(), restore() and touch()
  // are taken from the wall clock: each is the current millisecond (second for
  // UnixSeconds), or when that is earlier the smallest step after the latest
  // cursor (for UnixSeconds, the first of a batch only: the others may share
  // its second), ties in a batch as before. Records then change "now", as a live
  // API's do, which a stream read in windows up to the second a run starts sees.
  void follow_wall_clock();

  // Every served record, raw ones and tombstones included (marked as such), in
  // serving order, with exact texts.
  std::vector<ServedRecord> snapshot() const;
  // Number of live generated records (raw records, removed ones and tombstones
  // excluded).
  std::size_t size() const;
  // The latest cursor instant served so far, raw positions included.
  Instant latest() const;
  // The schema as it is now.
  RecordSchema schema() const;
  // What is served right now.
  std::shared_ptr<const Catalog> catalog() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tsync::mock
