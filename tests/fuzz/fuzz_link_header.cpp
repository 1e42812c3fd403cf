// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the Link header parser (next_link): any bytes must
// either give the URL of a link whose rel names "next", nothing, or
// std::invalid_argument. A crash, a sanitizer report or a broken guarantee
// (__builtin_trap) is a finding.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "source/pagination.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  std::optional<std::string> next;
  try {
    next = tsync::next_link(header);
  } catch (const std::invalid_argument&) {
    return 0;
  }
  if (!next) return 0;
  // The URL is what stood between '<' and '>' in the header, without them.
  if (next->find('>') != std::string::npos) __builtin_trap();
  if (header.find("<" + *next + ">") == std::string_view::npos) __builtin_trap();
  // A header that is the next link alone, rebuilt, gives the same URL.
  const std::optional<std::string> again = tsync::next_link("<" + *next + ">; rel=\"next\"");
  if (!again || *again != *next) __builtin_trap();
  return 0;
}
