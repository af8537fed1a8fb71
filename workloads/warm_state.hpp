// warm_state — each task needs an expensive state (a set of compiled std::regex patterns, by default 5 ms of
// compiling) and then uses it for a short job (four regex searches over a log line): the guide's case where
// tunny wins by building the state once per worker instead of once per task.
//
// Where the state lives (`state`):
//   auto         — per worker where the strategy has worker state (it builds one per worker with this
//                  workload's factory and installs it on the worker thread: tunny's model), per task
//                  everywhere else;
//   per_task     — built and dropped by every task, whatever the strategy;
//   thread_local — cached per OS thread, which is what any pool of persistent C++ threads gets for free.
// How many patterns make the build time (`build_ms`) is calibrated once per process. The scope used and how
// many states were built are recorded in the result's label; every task's result is checked.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "exactly_once.hpp"
#include "workload.hpp"

namespace poolbench {

// The expensive state: `pattern_count` distinct compiled patterns.
class WarmState final : public WorkerState {
 public:
  explicit WarmState(std::size_t pattern_count);
  // The short job for task `index` on `line`: four searches; a number that depends on every match.
  std::uint64_t job(std::size_t index, const std::string& line) const;
  std::size_t pattern_count() const noexcept { return patterns_.size(); }

 private:
  std::vector<std::regex> patterns_;
};

enum class WarmStateScope { per_worker, per_task, thread_local_cache };

class WarmStateWorkload final : public Workload {
 public:
  // patterns: the patterns per state; 0 calibrates them to take build_ms to compile on this machine.
  WarmStateWorkload(double build_ms, std::size_t patterns, const std::string& state,
                    bool strategy_has_worker_state);

  void prepare(std::size_t tasks) override;
  void run(std::size_t index) override;
  std::string verify() override;
  void on_rejected(std::size_t index) override { ledger_.mark_rejected(index); }
  WorkerStateFactory worker_state_factory() override;
  std::string label() const override;

  WarmStateScope scope() const noexcept { return scope_; }
  std::size_t states_built() const noexcept { return states_built_.load(); }
  // Patterns per state that take `build_ms` to compile on this machine (calibrated on first use).
  static std::size_t patterns_for(double build_ms);

 private:
  std::unique_ptr<WarmState> build_state();

  double build_ms_;
  std::size_t fixed_patterns_ = 0;
  WarmStateScope scope_;
  std::uint64_t instance_id_;  // keys the thread_local cache, so no thread reuses another instance's state
  std::size_t pattern_count_ = 1;
  std::size_t tasks_ = 0;
  std::vector<std::string> lines_;
  std::vector<std::uint64_t> expected_;
  std::unique_ptr<std::uint64_t[]> results_;
  ExactlyOnceLedger ledger_;
  std::atomic<std::size_t> states_built_{0};
  std::atomic<std::size_t> tasks_without_worker_state_{0};
};

}  // namespace poolbench
