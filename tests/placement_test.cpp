// --affinity: where the producers and the workers of a case are placed (probe/placement.hpp), and the option
// end to end (recorded in the context; a bad value is exit 2).
#include <gtest/gtest.h>

#include <pthread.h>
#include <sched.h>

#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "errors.hpp"
#include "probe/placement.hpp"

namespace poolbench {
namespace {

std::vector<int> allowed_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  ::sched_getaffinity(0, sizeof(set), &set);
  std::vector<int> out;
  for (int core = 0; core < CPU_SETSIZE; ++core)
    if (CPU_ISSET(core, &set)) out.push_back(core);
  return out;
}

// The one core a thread is pinned to, or -1 when it may run on several.
int pinned_core() {
  cpu_set_t set;
  CPU_ZERO(&set);
  ::pthread_getaffinity_np(::pthread_self(), sizeof(set), &set);
  if (CPU_COUNT(&set) != 1) return -1;
  for (int core = 0; core < CPU_SETSIZE; ++core)
    if (CPU_ISSET(core, &set)) return core;
  return -1;
}

// Producer 0, then three workers (each placed on its first task), in that order; the core of each.
std::vector<int> place_one_producer_and_three_workers(probe::Affinity affinity) {
  probe::configure_placement(affinity, 1, 3);
  std::vector<int> cores;
  std::thread([&] {
    probe::place_producer(0);
    cores.push_back(pinned_core());
  }).join();
  for (int worker = 0; worker < 3; ++worker)
    std::thread([&] {
      probe::place_worker_once();
      probe::place_worker_once();  // once per thread: a second task changes nothing
      cores.push_back(pinned_core());
    }).join();
  probe::configure_placement(probe::Affinity::none, 0, 0);
  return cores;
}

TEST(Placement, SpreadPutsNeighboursOnDifferentCores) {
  const auto cores = allowed_cores();
  const std::size_t n = cores.size();
  EXPECT_EQ(place_one_producer_and_three_workers(probe::Affinity::spread),
            (std::vector<int>{cores[0], cores[1 % n], cores[2 % n], cores[3 % n]}));
}

TEST(Placement, CompactFillsConsecutiveCoresInBlocks) {
  const auto cores = allowed_cores();
  const std::size_t n = cores.size();
  // Thread t of T = 4 on core t * n / 4.
  EXPECT_EQ(place_one_producer_and_three_workers(probe::Affinity::compact),
            (std::vector<int>{cores[0], cores[n / 4], cores[2 * n / 4], cores[3 * n / 4]}));
}

TEST(Placement, NoneLeavesEveryThreadToTheKernel) {
  const auto cores = allowed_cores();
  const int unpinned = cores.size() == 1 ? cores[0] : -1;
  EXPECT_EQ(place_one_producer_and_three_workers(probe::Affinity::none),
            (std::vector<int>{unpinned, unpinned, unpinned, unpinned}));
}

TEST(Placement, TheOptionIsRecordedAndABadValueIsExitTwo) {
  testing::TempDir dir;
  const auto out = dir / "run.json";
  const auto result = testing::run_poolbench(
      "run -s fifo_ring -w atomic_increment -n 1000 -p 1 -k 2 -r 1 -q "
      "--affinity spread --out " +
      testing::quote(out.string()));
  ASSERT_EQ(result.exit_status, 0) << result.err;
  const auto document = nlohmann::json::parse(testing::slurp(out));
  EXPECT_EQ(document["context"]["poolbench"]["affinity"], "spread");
  EXPECT_FALSE(document["benchmarks"][0].value("error_occurred", false));
  const auto bad =
      testing::run_poolbench("run -s fifo_ring -w atomic_increment -n 1000 --affinity sideways --out " +
                             testing::quote((dir / "bad.json").string()));
  EXPECT_EQ(bad.exit_status, 2);
  EXPECT_NE(bad.err.find("--affinity: 'sideways'"), std::string::npos) << bad.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "bad.json"));
  EXPECT_THROW(probe::parse_affinity("sideways"), UsageError);
}

}  // namespace
}  // namespace poolbench
