// SPDX-License-Identifier: Apache-2.0
#include "common/version.hpp"

#include <curl/curl.h>
#include <sqlite3.h>

namespace tsync {

std::string version_text() {
  std::string text = std::string("tsync ") + TSYNC_VERSION;
  text += std::string("\nSQLite ") + sqlite3_libversion();
  // curl_version_info needs no curl_global_init. The TLS, zlib and HTTP/2 libraries
  // libcurl uses follow in brackets, as `curl --version` shows them.
  const curl_version_info_data* curl = curl_version_info(CURLVERSION_NOW);
  text += std::string("\nlibcurl ") + curl->version;
  std::string with;
  const auto add = [&with](const char* prefix, const char* version) {
    if (version == nullptr || *version == '\0') return;
    with += with.empty() ? " (" : ", ";
    with += prefix;
    with += version;
  };
  add("", curl->ssl_version);
  add("zlib/", curl->libz_version);
  if (curl->age >= CURLVERSION_SIXTH) add("nghttp2/", curl->nghttp2_version);
  if (!with.empty()) text += with + ")";
  return text;
}

}  // namespace tsync
