// footprint — the pool's memory, not its speed: bytes per idle worker and per pending task (the guide's "Deep
// Comparison: Memory Footprint"). The case driver recognises this workload by name and runs its own sequence
// (src/case/footprint_case.cpp): K tasks held at a gate so that K workers are known to have started, then
// either the RSS with those K workers idle (`measure=idle_workers`) or the RSS of the tasks queued behind
// them
// (`measure=pending_tasks`). The tasks themselves only record that they ran, so that exactly-once is checked
// as in every other case.
#pragma once

#include <memory>

#include "exactly_once.hpp"
#include "workload.hpp"

namespace poolbench {

inline constexpr const char* footprint_workload_name = "footprint";
inline constexpr const char* footprint_measure_param = "measure";
inline constexpr const char* footprint_idle_workers = "idle_workers";
inline constexpr const char* footprint_pending_tasks = "pending_tasks";

class FootprintWorkload final : public Workload {
 public:
  void prepare(std::size_t tasks) override { ledger_.reset(tasks); }
  void run(std::size_t index) override { ledger_.record(index); }
  std::string verify() override { return ledger_.verify(); }
  void on_rejected(std::size_t index) override { ledger_.mark_rejected(index); }

 private:
  ExactlyOnceLedger ledger_;
};

}  // namespace poolbench
