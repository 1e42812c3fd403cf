// SPDX-License-Identifier: Apache-2.0
#pragma once

// The deterministic random numbers of the mock's generated data.

#include <array>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

namespace tsync::mock {

// splitmix64: expands a seed into well-mixed state words; also a good hash of
// one 64-bit value.
inline std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// xoshiro256**: fast, deterministic, good enough for test data.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (auto& word : s_) word = splitmix64(seed);
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // A value in [0, n); n > 0.
  std::uint64_t below(std::uint64_t n) {
    return next() % n;  // the bias is far below what test data notices
  }

  bool one_in(std::uint64_t n) { return below(n) == 0; }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<std::uint64_t, 4> s_{};
};

// One of `items`, drawn from `rng`.
template <typename T, std::size_t N>
const T& pick(Rng& rng, const T (&items)[N]) {
  return items[rng.below(N)];
}

// `count` words of `words` drawn from `rng`, the first capitalised.
template <std::size_t N>
std::string sentence(Rng& rng, std::size_t count, const char* const (&words)[N]) {
  std::string out;
  for (std::size_t k = 0; k < count; ++k) {
    if (k > 0) out.push_back(' ');
    out += pick(rng, words);
  }
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

// `count` distinct indices below `n` (all of them, in order, when count >= n),
// in the order drawn from `rng`.
inline std::vector<std::uint32_t> choose_distinct(Rng& rng, std::size_t n, std::size_t count) {
  std::vector<std::uint32_t> chosen;
  if (count >= n) {
    chosen.resize(n);
    std::iota(chosen.begin(), chosen.end(), 0u);
  } else if (count * 4 <= n) {
    std::vector<bool> taken(n, false);
    chosen.reserve(count);
    while (chosen.size() < count) {
      const auto i = static_cast<std::uint32_t>(rng.below(n));
      if (!taken[i]) {
        taken[i] = true;
        chosen.push_back(i);
      }
    }
  } else {
    std::vector<std::uint32_t> all(n);
    std::iota(all.begin(), all.end(), 0u);
    for (std::size_t k = 0; k < count; ++k) {
      const std::size_t j = k + rng.below(n - k);
      std::swap(all[k], all[j]);
      chosen.push_back(all[k]);
    }
  }
  return chosen;
}

// `count` distinct indices below `n` among those for which `live(i)` holds, all
// but `dead` of them (all live ones, in order, when count covers them), in the
// order drawn from `rng`: the same as choose_distinct(rng, n, count) when
// `dead` is 0.
template <typename Live>
std::vector<std::uint32_t> choose_live(Rng& rng, std::size_t n, std::size_t dead, std::size_t count,
                                       Live live) {
  if (dead == 0) return choose_distinct(rng, n, count);
  std::vector<std::uint32_t> alive;
  alive.reserve(n - dead);
  for (std::uint32_t i = 0; i < n; ++i)
    if (live(i)) alive.push_back(i);
  std::vector<std::uint32_t> chosen = choose_distinct(rng, alive.size(), count);
  for (std::uint32_t& i : chosen) i = alive[i];
  return chosen;
}

}  // namespace tsync::mock
