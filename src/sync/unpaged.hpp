// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

#include "config/config.hpp"
#include "replica/write_queue.hpp"
#include "sync/observer.hpp"
#include "sync/request.hpp"
#include "sync/tally.hpp"

namespace tsync {

// Reads an unpaged stream: asks from the newest record read so far again while
// answers bring newer records (docs/paging.md). Without a declared
// pagination the answers are watched for the signs of an API that caps them
// (docs/paging.md, "Capped answers"): the cursor moves past the newest instant of an
// answer only once the run has read to the end, and two answers in a row of
// the same size fail the stream. With "pagination": {"type": "since"} the API
// is taken at its word that an answer never splits an instant: each answer
// commits its newest record as the cursor. Returns 0: a record can only come
// twice in a chain of pages.
std::int64_t read_unpaged(const Config& config, const StreamConfig& stream, const Transport& net,
                          RowWriter& rows, SyncObserver& observer, RunCounters& io,
                          Cursor& committed, std::int64_t& table_rows, Tally& tally);

}  // namespace tsync
