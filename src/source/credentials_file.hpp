// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>

namespace tsync {

// The credentials file of a replica: `configured` (a relative path is taken
// from the replica's folder), or "<replica>.credentials".
std::string credentials_path(const std::string& replica, const std::string& configured);

// Reads the refresh token saved in a credentials file; nullopt when the file
// does not exist. Throws ConfigError when it cannot be read, is not what tsync
// writes, or can be read by others than its owner.
std::optional<std::string> read_saved_refresh_token(const std::string& path);

// Replaces the credentials file with one holding `refresh_token`, readable by
// its owner only: written to a new file, flushed to disk, renamed over the
// old one, so that a kill leaves the old file or the new one, never a part.
// Throws Error naming the file.
void save_refresh_token(const std::string& path, const std::string& refresh_token);

}  // namespace tsync
