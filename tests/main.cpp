// SPDX-License-Identifier: Apache-2.0
// The test runner: doctest's own main, plus one guard. ctest runs each case by
// name (doctest_discover_tests); a name that CMake mangled, as it does at a
// ';', would match no case and pass without running anything. So a run whose
// --test-case filter matches no case fails.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <string_view>

namespace {

int cases_matched = -1;  // -1 until a run has ended

class MatchCounter final : public doctest::IReporter {
 public:
  explicit MatchCounter(const doctest::ContextOptions&) {}
  void test_run_end(const doctest::TestRunStats& stats) override {
    cases_matched = static_cast<int>(stats.numTestCasesPassingFilters);
  }
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_case_start(const doctest::TestCaseData&) override {}
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

REGISTER_LISTENER("match_counter", 1, MatchCounter);

bool names_a_case(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    for (const std::string_view flag : {"--test-case=", "-tc=", "--dt-test-case=", "--dt-tc="})
      if (arg.substr(0, flag.size()) == flag) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  const int result = context.run();
  if (context.shouldExit()) return result;
  if (names_a_case(argc, argv) && cases_matched == 0) {
    std::fprintf(stderr, "tsync_tests: no test case matches the --test-case filter\n");
    return 1;
  }
  return result;
}
