// SPDX-License-Identifier: Apache-2.0
#pragma once

// The data route of the Google events (while GoogleEvents serves), as Google
// Calendar API v3 answers it; NestedRoutes hands it the paths under /calendar/v3/.
//   GET /calendar/v3/calendars/{calendarId}/events    calendarId "primary" or
//       GoogleOptions::calendar_id. maxResults 1-2500 (default the option's
//       page, more cut to 2500), pageToken (alone: it carries the read),
//       syncToken, showDeleted. {"kind": "calendar#events", "etag", "summary",
//       "updated", "timeZone": "UTC", "accessRole": "owner",
//       "defaultReminders": [], "nextPageToken" | "nextSyncToken", "items": [...]}.
//       A full read brings the confirmed events (cancelled ones too with
//       showDeleted=true); a syncToken read the events changed since it,
//       cancelled ones as {"kind", "etag", "id", "status": "cancelled",
//       "updated"}. The sync token stands for the last change when the read
//       began. timeMin, timeMax, updatedMin, q and the like are not applied to
//       a full read, and refused beside a syncToken.
//   Errors {"error": {"errors": [{"domain": "global", "reason", "message"}],
//   "code", "message"}}: a syncToken with another restriction, a malformed
//   token or a bad maxResults 400 "invalid"; an expired token 410
//   "fullSyncRequired"; an unknown calendar or path 404 "notFound".

#include <string>

#include "mock/httplib_fwd.hpp"
#include "mock/nested_routes.hpp"

namespace tsync::mock {

class GoogleEvents;

// Whether a GET of `path` is theirs: under /calendar/v3/ while `events` serves.
bool google_serves(const GoogleEvents& events, const std::string& path);

// The answer to `request`, whose path google_serves took.
NestedAnswer google_answer(const GoogleEvents& events, const httplib::Request& request);

}  // namespace tsync::mock
