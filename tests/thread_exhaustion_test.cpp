// Thread exhaustion (issue 17): a strategy that cannot get all its threads fails at once, saying "out of
// threads", and leaves no thread behind — instead of deadlocking in a constructor that unwinds by joining
// workers nobody told to stop.
//
// The refusal is injected through support::thread_start_hook (every thread start in strategies/ goes through
// support::start_thread), allowing 0, 1, ... starts before the OS "refuses" the next one; the time limit
// turns a deadlock into a failed test. End to end, a real limit: as root, a run as an unprivileged user with
// `ulimit -u` small (bash: dash has no -u), whose fixed-worker cases must be recorded as out of threads, not
// as timed out.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <system_error>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "registry.hpp"
#include "strategy_test_support.hpp"
#include "support/thread_start.hpp"

namespace poolbench {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace test_support;

#if defined(__SANITIZE_THREAD__)
constexpr bool under_tsan = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool under_tsan = true;
#else
constexpr bool under_tsan = false;
#endif
#else
constexpr bool under_tsan = false;
#endif

std::atomic<int> starts_allowed{0};

void refuse_when_none_left() {
  if (starts_allowed.fetch_sub(1) <= 0)
    throw std::system_error(EAGAIN, std::generic_category(), "thread start refused by the test");
}

// Installs the refusing hook for its lifetime.
class RefuseThreadsAfter {
 public:
  explicit RefuseThreadsAfter(int allowed) {
    starts_allowed.store(allowed);
    support::thread_start_hook.store(&refuse_when_none_left);
  }
  ~RefuseThreadsAfter() { support::thread_start_hook.store(nullptr); }
  RefuseThreadsAfter(const RefuseThreadsAfter&) = delete;
  RefuseThreadsAfter& operator=(const RefuseThreadsAfter&) = delete;
};

std::unique_ptr<Strategy> make_strategy(const StrategyInfo& info, std::size_t workers) {
  Params params;
  params.apply_defaults(info.params);
  StrategyConfig config{workers, params, {}};
  if (info.traits.worker_state) config.worker_state_factory = [] { return std::make_unique<WorkerState>(); };
  return info.make(config);
}

class ThreadExhaustion : public ::testing::TestWithParam<std::string> {
 protected:
  const StrategyInfo& info() const { return *strategy_registry().find(GetParam()); }
};

TEST_P(ThreadExhaustion, AConstructorRefusedAThreadThrowsOutOfThreadsAndLeavesNoThreadBehind) {
  constexpr std::size_t workers = 3;
  with_time_limit(
      [&] {
        const std::size_t threads_before = live_threads();
        bool refused = false;
        // One more start than the workers: a strategy may start a helper thread (dispatcher, purge).
        for (int allowed = 0; allowed <= static_cast<int>(workers) + 1; ++allowed) {
          std::unique_ptr<Strategy> strategy;
          try {
            RefuseThreadsAfter refuse(allowed);
            strategy = make_strategy(info(), workers);
          } catch (const std::system_error& e) {
            refused = true;
            EXPECT_THAT(e.what(), HasSubstr("out of threads")) << "after " << allowed << " starts";
            EXPECT_EQ(e.code().value(), EAGAIN) << "the OS's error code must be kept";
          }
          if (strategy) strategy->shutdown();
          strategy.reset();
          EXPECT_EQ(live_threads_settled(threads_before), threads_before)
              << "threads left behind after a refusal after " << allowed << " starts";
        }
        // Fixed workers start in the constructor; oneTBB starts its own threads, lazily and outside the seam.
        if (info().traits.worker_lifecycle == WorkerLifecycle::fixed_workers &&
            GetParam() != "ref_tbb_task_group") {
          EXPECT_TRUE(refused) << "starts fixed workers but no construction reported the refused thread";
        }
      },
      std::chrono::seconds(60));
}

// Strategies that start threads as tasks arrive: a refused start fails that submit with "out of threads", or
// leaves the task queued for a worker that starts later; either way nothing is lost and nothing hangs.
TEST_P(ThreadExhaustion, ASubmitThatCannotGetAThreadFailsOrWaitsAndLosesNothing) {
  if (info().traits.worker_lifecycle == WorkerLifecycle::fixed_workers ||
      info().traits.worker_lifecycle == WorkerLifecycle::caller_thread)
    GTEST_SKIP() << "starts no thread per submit";
  with_time_limit(
      [&] {
        const std::size_t threads_before = live_threads();
        auto strategy = make_strategy(info(), 2);
        std::atomic<int> ran{0};
        SubmitResult result;
        {
          RefuseThreadsAfter refuse(0);
          result = strategy->submit(Task{[&ran] { ran.fetch_add(1); }});
        }
        if (!result.ok()) {
          EXPECT_EQ(result.status, SubmitStatus::error);
          EXPECT_THAT(result.message, HasSubstr("out of threads"));
        }
        EXPECT_FALSE(strategy->wait());  // a queued task gets a worker once threads are available again
        EXPECT_EQ(ran.load(), result.ok() ? 1 : 0);
        strategy->shutdown();
        strategy.reset();
        EXPECT_EQ(live_threads_settled(threads_before), threads_before);
      },
      std::chrono::seconds(60));
}

INSTANTIATE_TEST_SUITE_P(Strategies, ThreadExhaustion,
                         ::testing::ValuesIn(strategy_registry().names(/*include_test_only=*/false)),
                         [](const auto& param) { return param.param; });

// A real limit, end to end. Runs as a user id of its own (no other process counts against its limit) with
// `ulimit -u` far below the workers asked for.
TEST(ThreadExhaustionEndToEnd, FixedWorkerCasesAreRecordedAsOutOfThreadsNotTimedOut) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run as another user with a process limit";
  if (std::system("command -v setpriv >/dev/null 2>&1") != 0) GTEST_SKIP() << "needs setpriv (util-linux)";
  testing::TempDir scratch;
  std::filesystem::permissions(scratch.path(), std::filesystem::perms::all);
  const auto out = scratch / "out.json";
  const int uid = 40000 + static_cast<int>(::getpid() % 20000);
  // ThreadSanitizer cannot see the fences with which moodycamel's queue reuses its blocks: the many stop
  // signals of a refused construction wrap around a block, and TSan reports that reuse as a race (the
  // conformance suite skips ref_moodycamel under TSan for the same reason).
  const std::string strategies = under_tsan
                                     ? "fifo_ring,sharded,ref_asio_thread_pool,stateful"
                                     : "fifo_ring,sharded,ref_moodycamel,ref_asio_thread_pool,stateful";
  const std::size_t cases = under_tsan ? 4 : 5;
  const std::string command =
      "cd " + scratch.path().string() + " && timeout -k 5 100 setpriv --reuid=" + std::to_string(uid) +
      " --regid=" + std::to_string(uid) + " --clear-groups bash -c 'ulimit -u 60 && exec " +
      POOLBENCH_BINARY + " run -q -s " + strategies +
      " -w atomic_increment -k 400 -n 1000 -p 1 -r 1 --timeout 20 -o " + out.string() + "' >/dev/null 2>&1";
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status)) << command;
  EXPECT_EQ(WEXITSTATUS(status), 1) << "every case fails: exit status 1";
  const auto document = nlohmann::json::parse(testing::slurp(out));
  const auto& entries = document.at("benchmarks");
  ASSERT_EQ(entries.size(), cases) << document.dump(2);
  for (const auto& entry : entries) {  // a deadlocked case would be killed at its --timeout: "timed out"
    const std::string message = entry.value("error_message", "");
    EXPECT_THAT(message, HasSubstr("out of threads")) << entry.at("name");
    EXPECT_THAT(message, Not(HasSubstr("timed out"))) << entry.at("name");
  }
}

}  // namespace
}  // namespace poolbench
