// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

namespace tsync {

// What `tsync --version` prints: tsync's own version, then the versions of the
// SQLite and libcurl libraries this process runs with (read at run time, so a
// bug report names the libraries actually loaded, not those tsync was built
// against), one per line, without a final newline.
std::string version_text();

}  // namespace tsync
