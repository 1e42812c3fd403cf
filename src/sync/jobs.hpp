// SPDX-License-Identifier: Apache-2.0
#pragma once
// Requests in flight: a run's streams and their windows as jobs, taken by
// up to max_concurrency worker threads, each over a connection of its own,
// their rows handed to one writer thread.

#include <map>
#include <memory>
#include <vector>

#include "config/config.hpp"
#include "replica/replica.hpp"
#include "source/auth.hpp"
#include "sync/sync.hpp"

namespace tsync {

// How many requests a stream could have in flight at once: a windowed stream
// one per window from where it starts, any other one.
std::size_t parallel_jobs(const StreamConfig& stream, Replica& replica, bool full);

// Syncs `selected` with up to max_concurrency requests in flight: worker
// threads take the jobs (windows and streams) in turn, each over a connection
// of its own, and hand their rows to one writer thread.
void run_concurrently(const Config& config, const std::vector<const StreamConfig*>& selected,
                      Replica& replica, SyncObserver& observer, bool full,
                      std::map<const AuthConfig*, std::shared_ptr<Authenticator>>& authenticators,
                      std::vector<SyncReport>& reports);

}  // namespace tsync
