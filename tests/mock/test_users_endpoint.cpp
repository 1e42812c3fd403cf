// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "mock/mock_support.hpp"

using namespace mock_test;

TEST_SUITE("mock_users_endpoint") {
  TEST_CASE("updated_within_days: the users fall within the days before the mock started") {
    Options options;
    options.users = 400;
    options.updated_within_days = 3;
    const std::int64_t before = unix_now();
    MockApi api(options);
    const std::int64_t after = unix_now();
    check_users_within(api.start(), 400, before - 3 * 86400, after + 1);

    options.updated_within_days = -1;
    CHECK_THROWS_WITH_AS(MockApi{options},
                         "updated_within_days: must be a whole number from 0 to 36500",
                         std::invalid_argument);
  }
}
