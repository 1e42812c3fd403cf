// SPDX-License-Identifier: Apache-2.0
#pragma once

// The cpp-httplib types the mock's headers name, declared so that only its
// .cpp files include <httplib.h>.

namespace httplib {
class DataSink;
class Server;
struct Request;
struct Response;
}  // namespace httplib
