// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>

#include "config/config.hpp"
#include "replica/write_queue.hpp"
#include "sync/observer.hpp"
#include "sync/request.hpp"
#include "sync/scheduler.hpp"
#include "sync/tally.hpp"

namespace tsync {

// The pager of a chain that starts from `start`: the stream's params and
// since on the first request, and on the later ones as the pagination says.
// A window of time asks since=<start> and until=<end> on every page.
Pager make_pager(const StreamConfig& stream, const Cursor& start,
                 const std::optional<Window>& window = std::nullopt);

// Reads one chain of pages from `start` (docs/paging.md): follows the
// API's pages until the pagination says the chain has ended and commits the
// cursor with the chain's last rows. A transient fault rolls back to the last
// commit and resumes the chain from the page after it, with the pager as it
// was then. Returns the number of records that came more than once (0: the
// chain is settled, its cursor moved).
// With a `window`, the chain asks for that window's records and, settled, moves
// the cursor to `window_cursor` when there is one (the windows before it are
// complete) and nowhere otherwise.
std::int64_t read_chain(const Config& config, const StreamConfig& stream, const Transport& net,
                        RowWriter& rows, SyncObserver& observer, RunCounters& io,
                        const Cursor& start, Tally& tally,
                        const std::optional<Window>& window = std::nullopt,
                        const std::optional<Cursor>& window_cursor = std::nullopt);

}  // namespace tsync
