// Which declared traits the conformance suite (tests/conformance_test.cpp) checks against a strategy's real
// behaviour: one row per test, with the trait it verifies and the declared values it checks. The suite skips
// each of these tests by this table (and checks that every test named here exists), and the report marks a
// capability "verified" from it: what the report claims is what the suite does, with no copy to keep in step.
#pragma once

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

#include "strategy.hpp"

namespace poolbench {

struct ConformanceCheck {
  std::string_view trait;   // a StrategyTraits field: queue_order, worker_lifecycle, ..., cancellation
  std::string_view test;    // the TEST_P of suite Conformance that checks it
  std::string_view drives;  // what the test does, in words
  bool (*applies)(const StrategyTraits&);  // whether the test checks this declaration (else it is skipped)
};

inline constexpr ConformanceCheck conformance_checks[] = {
    {"queue_order", "FifoStrategiesStartTasksInSubmissionOrder",
     "fifo, fifo_per_shard, caller, and urgent_first and fair_per_tenant (their untagged tasks are of one "
     "class and one tenant): 500 tasks from one producer on one worker start in submission order",
     [](const StrategyTraits& t) {
       return t.queue_order == QueueOrder::fifo || t.queue_order == QueueOrder::fifo_per_shard ||
              t.queue_order == QueueOrder::caller || t.queue_order == QueueOrder::urgent_first ||
              t.queue_order == QueueOrder::fair_per_tenant;
     }},
    {"queue_order", "LifoStrategiesHandTheNextTaskToTheMostRecentlyIdleWorker",
     "lifo_idle_worker: the next task goes to the worker that went idle last",
     [](const StrategyTraits& t) { return t.queue_order == QueueOrder::lifo_idle_worker; }},
    {"queue_order", "FifoIdleWorkerStrategiesHandTheNextTaskToTheLongestIdleWorker",
     "fifo_idle_worker: the next task goes to the worker that has been idle longest",
     [](const StrategyTraits& t) { return t.queue_order == QueueOrder::fifo_idle_worker; }},
    {"worker_lifecycle", "ShutdownDrainsAcceptedTasksAndJoinsEveryThread",
     "caller_thread: every task on the caller, no thread created; thread_per_task: at least one thread per "
     "task; fixed and on-demand workers are not checked there",
     [](const StrategyTraits& t) {
       return t.worker_lifecycle == WorkerLifecycle::caller_thread ||
              t.worker_lifecycle == WorkerLifecycle::thread_per_task;
     }},
    {"worker_lifecycle", "FixedWorkersKeepOneThreadCountUnderLoad",
     "fixed_workers, fiber_per_task: the process's threads (/proc/self/task) rise at construction and do not "
     "change while two producers load the strategy (a fiber per task starts no OS thread)",
     [](const StrategyTraits& t) {
       return t.worker_lifecycle == WorkerLifecycle::fixed_workers ||
              t.worker_lifecycle == WorkerLifecycle::fiber_per_task;
     }},
    {"worker_lifecycle", "OnDemandWorkersRiseToKUnderLoadAndExpireOrStayWhenIdle",
     "on_demand_with_expiry, on_demand_resident: K held tasks add K threads and further submits none; idle, "
     "they exit after a 20 ms expiry (expiry_ms or idle_timeout_ms), or stay",
     [](const StrategyTraits& t) {
       return t.worker_lifecycle == WorkerLifecycle::on_demand_with_expiry ||
              t.worker_lifecycle == WorkerLifecycle::on_demand_resident;
     }},
    {"when_full", "NonBlockingSubmitOnASaturatedStrategyReportsOverloadAndLosesNothing",
     "blocks_or_rejects: a saturated strategy rejects a nonblocking submit and loses nothing; not for "
     "synchronous submit",
     [](const StrategyTraits& t) {
       return t.when_full == WhenFull::blocks_or_rejects && !t.synchronous_submit;
     }},
    {"when_full", "BlockedSubmitResumesWhenRoomFrees",
     "blocks, blocks_or_rejects: a submit blocked on a full strategy resumes when room frees; not for "
     "synchronous submit",
     [](const StrategyTraits& t) {
       return (t.when_full == WhenFull::blocks || t.when_full == WhenFull::blocks_or_rejects) &&
              !t.synchronous_submit;
     }},
    {"when_full", "NeverFullStrategiesAcceptWithoutBlocking",
     "never_full: every submit returns while all workers are held; not for synchronous submit",
     [](const StrategyTraits& t) { return t.when_full == WhenFull::never_full && !t.synchronous_submit; }},
    {"on_exception", "AThrowingTaskGetsTheDeclaredBehaviour",
     "every declared value; terminates_process as a death test", [](const StrategyTraits&) { return true; }},
    {"returns_results", "ResultHandleDeliversTheTasksOutcome",
     "returns_results: submit_for_result's outcome is ready only once the task has run, and carries the "
     "task's exception where on_exception is stored_in_task_handle",
     [](const StrategyTraits& t) { return t.returns_results; }},
    {"cancellation", "CancelKeepsTasksThatHaveNotStartedFromStarting",
     "cancellation: with K = 1 held by a running task, cancel() keeps the tasks queued (or blocked in a "
     "synchronous submit) behind it from ever running; the running one finishes and wait() returns",
     [](const StrategyTraits& t) { return t.cancellation; }},
};

// The name GoogleTest gives a strategy's instance of a conformance test: "sharded:mode=pond" ->
// "sharded_mode_pond" (`poolbench conform` selects a strategy's tests by it).
inline std::string test_name_for(std::string name) {
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

// The row of `test`, or nullptr.
inline const ConformanceCheck* find_conformance_check(std::string_view test) {
  const auto* found = std::find_if(std::begin(conformance_checks), std::end(conformance_checks),
                                   [&](const ConformanceCheck& check) { return check.test == test; });
  return found == std::end(conformance_checks) ? nullptr : found;
}

// Whether the suite checks the declared value of `trait` in `traits` by behaviour.
inline bool conformance_verifies(std::string_view trait, const StrategyTraits& traits) {
  return std::any_of(
      std::begin(conformance_checks), std::end(conformance_checks),
      [&](const ConformanceCheck& check) { return check.trait == trait && check.applies(traits); });
}

}  // namespace poolbench
