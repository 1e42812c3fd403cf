// SPDX-License-Identifier: Apache-2.0
#pragma once

// A stream read through the API's own change token (docs/change-feeds.md):
// the pages of one read, their removals, the token saved for next time, and
// a read from the beginning when the API says the token has expired.

#include <cstdint>

#include "replica/write_queue.hpp"
#include "sync/observer.hpp"
#include "sync/request.hpp"
#include "sync/stream_run.hpp"

namespace tsync {

// Reads `run`'s stream from its saved token (from the feed's beginning when
// there is none, or on --full): page after page as the feed links them, a
// removal applied as a delete in the stream's on_delete mode. The token for
// next time is saved with the rows of the page that gave it: a delta link or
// sync token once the read has ended, a cursor export's cursor after every
// page (it resumes from any). Rows are committed as pages end, without the
// token. When the API says the token has expired, the run becomes a full pass
// read from the beginning (said once through `observer`); a read from the
// beginning refused alike is an error. Returns 0 (a feed has no repeats).
std::int64_t read_feed(StreamRun& run, const Transport& net, RowWriter& rows,
                       SyncObserver& observer, RunCounters& io);

// The first request of a read of the stream's feed from its beginning.
std::string feed_first_request(const StreamConfig& stream);

}  // namespace tsync
