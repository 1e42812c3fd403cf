// SPDX-License-Identifier: Apache-2.0
#pragma once

// Reading a stream's "pagination" object of configuration.json: how the API
// pages. Internal to src/config/.

#include <string>

#include <rapidjson/document.h>

#include "source/pagination.hpp"

namespace tsync::config_detail {

// The "pagination" object `v` of the stream whose errors start with `where`;
// `bare_array`: the stream's records are the whole body (records_path "").
Pagination read_pagination(const rapidjson::Value& v, const std::string& where, bool bare_array);

}  // namespace tsync::config_detail
