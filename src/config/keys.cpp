// SPDX-License-Identifier: Apache-2.0
#include "config/keys.hpp"

#include "config/checker.hpp"

namespace tsync {
namespace config_detail {
namespace {

constexpr std::string_view kTopLevel[] = {"base_url",
                                          "streams",
                                          "database",
                                          "start_timestamp",
                                          "lookback_seconds",
                                          "timeout_seconds",
                                          "max_retries",
                                          "retry_base_seconds",
                                          "retry_budget_seconds",
                                          "token_env",
                                          "ca_file",
                                          "cache_size_mib",
                                          "checkpoint_rows",
                                          "sorted_apply_rows",
                                          "min_bytes_per_second",
                                          "max_run_seconds",
                                          "max_delete_fraction",
                                          "auth",
                                          "max_requests_per_second",
                                          "max_concurrency"};

constexpr std::string_view kStream[] = {"name",
                                        "url",
                                        "table",
                                        "primary_key",
                                        "cursor_field",
                                        "cursor_format",
                                        "since_param",
                                        "records_path",
                                        "params",
                                        "headers",
                                        "columns",
                                        "start_timestamp",
                                        "lookback_seconds",
                                        "token_env",
                                        "on_delete",
                                        "delete_field",
                                        "max_delete_fraction",
                                        "pagination",
                                        "auth",
                                        "window_seconds",
                                        "until_param",
                                        "max_requests_per_second",
                                        "parent",
                                        "partitions",
                                        "include_parent",
                                        "parents",
                                        "not_found",
                                        "change_feed"};

constexpr std::string_view kAuth[] = {"type",
                                      "token_env",
                                      "username",
                                      "username_env",
                                      "password_env",
                                      "name",
                                      "in",
                                      "value_env",
                                      "prefix",
                                      "login_url",
                                      "body",
                                      "token_path",
                                      "method",
                                      "header",
                                      "token_url",
                                      "grant",
                                      "client_id_env",
                                      "client_secret_env",
                                      "refresh_token_env",
                                      "scope",
                                      "client_auth",
                                      "credentials_file"};

constexpr std::string_view kPagination[] = {
    "type",  "path",        "param",           "has_more_path", "repeat_since",
    "field", "limit_param", "limit",           "total_path",    "size_param",
    "size",  "first",       "total_pages_path"};

constexpr std::string_view kChangeFeed[] = {
    "type",          "next_path",        "delta_path",       "removed_field",
    "page_token_path", "page_token_param", "sync_token_path", "sync_token_param",
    "cursor_path",   "cursor_param",     "end_path",         "start_param",
    "deleted_when",  "expired_statuses", "expired_codes"};

}  // namespace

constinit const KeyList kTopLevelKeys = kTopLevel;
constinit const KeyList kStreamKeys = kStream;
constinit const KeyList kAuthKeys = kAuth;
constinit const KeyList kPaginationKeys = kPagination;
constinit const KeyList kChangeFeedKeys = kChangeFeed;

}  // namespace config_detail

const std::vector<ConfigSection>& configuration_keys() {
  using namespace config_detail;
  static const std::vector<ConfigSection> sections{
      {"key", {kTopLevelKeys.begin(), kTopLevelKeys.end()}},
      {"stream key", {kStreamKeys.begin(), kStreamKeys.end()}},
      {"auth key", {kAuthKeys.begin(), kAuthKeys.end()}},
      {"pagination key", {kPaginationKeys.begin(), kPaginationKeys.end()}},
      {"change_feed key", {kChangeFeedKeys.begin(), kChangeFeedKeys.end()}}};
  return sections;
}

}  // namespace tsync
