// SPDX-License-Identifier: Apache-2.0
#include "config/parents.hpp"

#include <algorithm>
#include <map>

#include "common/errors.hpp"

namespace tsync::config_detail {
namespace {

// The index of `ref` in the stream's partition values, added when new.
std::size_t ref_index(PartitionSettings& p, const std::string& ref) {
  const auto it = std::find(p.refs.begin(), p.refs.end(), ref);
  if (it != p.refs.end()) return static_cast<std::size_t>(it - p.refs.begin());
  p.refs.push_back(ref);
  return p.refs.size() - 1;
}

// The texts between braces in `text` (the value of `key`).
std::vector<std::string> placeholders_in(const Checker& c, const char* key,
                                         const std::string& text) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '}')
      c.fail(key, "has a '}' without its '{': \"" + text + "\"");
    if (text[i] != '{') continue;
    const std::size_t end = text.find_first_of("{}", i + 1);
    if (end == std::string::npos || text[end] != '}')
      c.fail(key, "has a '{' without its '}': \"" + text + "\"");
    const std::string inner = text.substr(i + 1, end - i - 1);
    if (inner.empty()) c.fail(key, "has an empty placeholder {}: \"" + text + "\"");
    out.push_back(inner);
    i = end;
  }
  return out;
}

// "partitions": a non-empty list of objects of strings (or numbers), each with
// the same names.
void read_fixed(const Checker& c, PartitionSettings& p) {
  const rapidjson::Value* list = c.find("partitions");
  if (!list) return;
  if (!list->IsArray() || list->Empty())
    c.fail("partitions", "must be a non-empty list of objects, e.g. [{\"repo\": \"acme/api\"}]");
  for (const auto& item : list->GetArray()) {
    if (!item.IsObject() || item.MemberCount() == 0)
      c.fail("partitions", "each partition must be a non-empty object of names and values");
    std::vector<std::pair<std::string, std::string>> values;
    for (const auto& m : item.GetObject()) {
      const std::string name(m.name.GetString(), m.name.GetStringLength());
      std::string value;
      if (m.value.IsString())
        value.assign(m.value.GetString(), m.value.GetStringLength());
      else if (m.value.IsInt64())
        value = std::to_string(m.value.GetInt64());
      else
        c.fail("partitions", "\"" + name + "\" must be a string or a whole number");
      if (name.empty()) c.fail("partitions", "has an empty name");
      values.emplace_back(name, std::move(value));
    }
    if (!p.fixed.empty()) {
      auto names = [](const auto& v) {
        std::vector<std::string> n;
        for (const auto& [name, value] : v) n.push_back(name);
        std::sort(n.begin(), n.end());
        return n;
      };
      if (names(values) != names(p.fixed.front()))
        c.fail("partitions", "every partition must have the same names as the first");
    }
    for (const auto& other : p.fixed)
      if (other == values) c.fail("partitions", "lists one partition twice");
    p.fixed.push_back(std::move(values));
  }
}

}  // namespace

void read_partitions(const Checker& c, StreamConfig& s) {
  PartitionSettings& p = s.partitions;
  if (auto parent = c.text("parent")) p.parent = *parent;
  read_fixed(c, p);
  if (!p.parent.empty() && !p.fixed.empty())
    c.fail("partitions", "give parent or partitions, not both");
  if (const rapidjson::Value* inc = c.find("include_parent")) {
    if (!p.partitioned())
      c.fail("include_parent", "copies a parent's fields: set parent (or partitions) too");
    if (!inc->IsObject() || inc->MemberCount() == 0)
      c.fail("include_parent",
             "must be an object of column names and parent fields, e.g. "
             "{\"repo\": \"full_name\"}");
    for (const auto& m : inc->GetObject()) {
      const std::string column(m.name.GetString(), m.name.GetStringLength());
      if (!m.value.IsString() || m.value.GetStringLength() == 0)
        c.fail("include_parent", "\"" + column + "\" must name a field of the parent");
      if (column.empty() || column.front() == '_')
        c.fail("include_parent", "\"" + column +
                                     "\": a column name must not be empty or start with _");
      p.include.emplace_back(column, std::string(m.value.GetString(), m.value.GetStringLength()));
    }
  }
  if (auto parents = c.text("parents")) {
    if (p.parent.empty())
      c.fail("parents", "says which parents' partitions a run reads: set parent too");
    if (*parents != "all" && *parents != "changed")
      c.fail("parents", "must be \"all\" or \"changed\", not \"" + *parents + "\"");
    p.changed_only = *parents == "changed";
  }
  if (auto not_found = c.text("not_found")) {
    if (!p.partitioned())
      c.fail("not_found", "is for a child stream's requests: set parent (or partitions) too");
    if (*not_found != "empty" && *not_found != "error")
      c.fail("not_found", "must be \"empty\" or \"error\", not \"" + *not_found + "\"");
    p.not_found_error = *not_found == "error";
  }

  // The placeholders of url (its path only) and of the params' values.
  std::vector<std::string> found = placeholders_in(c, "url", s.url);
  if (!found.empty()) {
    const std::size_t host = s.url.find("://") + 3;
    const std::size_t path = s.url.find('/', host);
    if (path == std::string::npos || s.url.find('{') < path)
      c.fail("url", "placeholders may stand in the path only: \"" + s.url + "\"");
  }
  for (const auto& [name, value] : s.params)
    for (std::string& inner : placeholders_in(c, "params", value)) found.push_back(inner);
  if (!found.empty() && !p.partitioned())
    c.fail("url", "has the placeholder {" + found.front() +
                      "}: a placeholder takes a parent's field (set parent) or a fixed "
                      "partition's value (set partitions)");
  for (const std::string& inner : found) {
    if (std::any_of(p.placeholders.begin(), p.placeholders.end(),
                    [&](const auto& known) { return known.first == inner; }))
      continue;
    p.placeholders.emplace_back(inner, 0);  // its value's index is settled by check_parents
  }
}

void check_parents(std::vector<StreamConfig>& streams, const std::string& origin) {
  std::map<std::string, const StreamConfig*> by_name;
  for (const StreamConfig& s : streams) by_name[s.name] = &s;
  for (StreamConfig& s : streams) {
    PartitionSettings& p = s.partitions;
    if (!p.partitioned()) continue;
    const std::string where = origin + ": stream \"" + s.name + "\": ";
    if (!p.parent.empty()) {
      if (p.parent == s.name) throw ConfigError(where + "parent: a stream cannot be its own parent");
      const auto parent = by_name.find(p.parent);
      if (parent == by_name.end()) {
        std::string known;
        for (const StreamConfig& o : streams)
          if (o.name != s.name) known += (known.empty() ? "" : ", ") + o.name;
        throw ConfigError(where + "parent: no stream \"" + p.parent +
                          "\" in this configuration (a parent must be a stream of the same "
                          "configuration, synced into the same replica; the others: " +
                          (known.empty() ? "none" : known) + ")");
      }
      // A cycle: following parents from s comes back to s.
      std::vector<std::string> chain{s.name};
      for (const StreamConfig* at = parent->second; at; ) {
        chain.push_back(at->name);
        if (at->name == s.name) {
          std::string path;
          for (const std::string& n : chain) path += (path.empty() ? "" : " -> ") + n;
          throw ConfigError(where + "parent: the parents make a cycle (" + path + ")");
        }
        if (chain.size() > streams.size() + 1) break;
        const auto next = by_name.find(at->partitions.parent);
        at = next == by_name.end() ? nullptr : next->second;
      }
      const StreamConfig& ps = *parent->second;
      p.parent_table = ps.table;
      for (auto& [inner, index] : p.placeholders) {
        const std::size_t dot = inner.find('.');
        const std::string stream = inner.substr(0, dot);
        if (dot == std::string::npos || dot + 1 == inner.size())
          throw ConfigError(where + "the placeholder {" + inner +
                            "} names no field: write {" + p.parent + ".FIELD}, a field of the "
                            "parent stream " + p.parent);
        if (stream != p.parent) {
          const bool known = by_name.count(stream) > 0;
          throw ConfigError(
              where + "the placeholder {" + inner + "} names " +
              (known ? "stream " + stream + ", which is not this stream's parent (" + p.parent +
                           "): copy the field into " + p.parent +
                           " with include_parent and name it {" + p.parent + ".COLUMN}"
                     : "no stream of this configuration (the parent is " + p.parent + ")"));
        }
        index = ref_index(p, inner.substr(dot + 1));
      }
      p.key.clear();
      for (const std::string& k : ps.primary_key) p.key.push_back(ref_index(p, k));
      p.columns.clear();
      for (const auto& [column, field] : p.include)
        p.columns.emplace_back(column, ref_index(p, field));
      for (std::size_t i = 0; i < ps.primary_key.size(); ++i) {
        const bool copied = std::any_of(p.include.begin(), p.include.end(),
                                        [&](const auto& c) { return c.second == ps.primary_key[i]; });
        if (copied) continue;
        std::string column = p.parent + "_" + ps.primary_key[i];
        std::replace(column.begin(), column.end(), '.', '_');
        if (std::any_of(p.columns.begin(), p.columns.end(),
                        [&](const auto& c) { return c.first == column; }))
          throw ConfigError(where + "include_parent: \"" + column +
                            "\" is the column that keeps the parent's key " + ps.primary_key[i] +
                            ": give that column another name");
        p.columns.insert(p.columns.begin() + static_cast<std::ptrdiff_t>(i),
                         {column, p.key[i]});
      }
    } else {
      std::vector<std::string> names;
      for (const auto& [name, value] : p.fixed.front()) names.push_back(name);
      auto check_name = [&](const std::string& name, const std::string& what) {
        if (std::find(names.begin(), names.end(), name) == names.end())
          throw ConfigError(where + what + " names no value of the partitions (they have: " +
                            [&] {
                              std::string all;
                              for (const std::string& n : names) all += (all.empty() ? "" : ", ") + n;
                              return all;
                            }() +
                            ")");
      };
      for (auto& [inner, index] : p.placeholders) {
        check_name(inner, "the placeholder {" + inner + "}");
        index = ref_index(p, inner);
      }
      p.key.clear();
      for (const std::string& n : names) p.key.push_back(ref_index(p, n));
      p.columns.clear();
      for (const auto& [column, name] : p.include) {
        check_name(name, "include_parent: \"" + column + "\"");
        p.columns.emplace_back(column, ref_index(p, name));
      }
      for (const std::string& n : names) {
        const bool copied = std::any_of(p.include.begin(), p.include.end(),
                                        [&](const auto& c) { return c.second == n; });
        const bool taken = std::any_of(p.columns.begin(), p.columns.end(),
                                       [&](const auto& c) { return c.first == n; });
        if (copied) continue;
        if (taken)
          throw ConfigError(where + "include_parent: \"" + n +
                            "\" is the column that keeps the partition's value " + n +
                            ": give that column another name");
        p.columns.emplace_back(n, ref_index(p, n));
      }
    }
    for (const auto& [column, index] : p.columns)
      if (column == s.cursor_field && p.parent.empty())
        throw ConfigError(where + "cursor_field: \"" + column +
                          "\" is a partition's fixed value, the same for every record");
  }
}

}  // namespace tsync::config_detail

namespace tsync {

std::vector<const StreamConfig*> parents_first(const std::vector<const StreamConfig*>& streams) {
  std::vector<const StreamConfig*> out;
  std::vector<const StreamConfig*> left = streams;
  while (!left.empty()) {
    bool moved = false;
    for (auto it = left.begin(); it != left.end();) {
      const std::string& parent = (*it)->partitions.parent;
      const bool waits = !parent.empty() && std::any_of(left.begin(), left.end(), [&](auto* o) {
                           return o->name == parent;
                         });
      if (waits) {
        ++it;
        continue;
      }
      out.push_back(*it);
      it = left.erase(it);
      moved = true;
    }
    if (!moved) {  // a cycle, which the configuration refuses: keep its order
      out.insert(out.end(), left.begin(), left.end());
      break;
    }
  }
  return out;
}

}  // namespace tsync::config_detail
