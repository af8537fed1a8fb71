// mixed_priority and tenants — cpu_burst's calibrated computation, with every task tagged (TaskTag) for the
// strategies that schedule by class: the pool guide's Exercise 2 (urgent and normal tasks) and Exercise 5
// (tenant A submits many tasks, tenant B one).
//
// mixed_priority: a share `urgent_share` of the tasks is urgent, spread evenly over the submission order
// (task i is urgent when floor((i + 1) * share) > floor(i * share)), the rest normal; one tenant.
// tenants: the last `b_tasks` tasks (default 1) are tenant B's (1), all before them tenant A's (0): with
// `-n 1001`, A submits 1000 and then B one. Both are normal.
//
// The driver times each class's first task and then one in S of each class, and writes the queue waits by
// class (queue_wait_urgent_p99_ns, queue_wait_tenant_b_max_ns, ...). Neither workload is in the default
// matrix: they are scenarios (`poolbench run --scenario priority|tenants`), run by name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "exactly_once.hpp"
#include "workload.hpp"

namespace poolbench {

class TaggedBurstsWorkload final : public Workload {
 public:
  // Tags task `index` of `tasks`.
  using Tagger = TaskTag (*)(std::size_t index, std::size_t tasks, double share_or_count);

  TaggedBurstsWorkload(double duration_us, Tagger tagger, double share_or_count);

  void prepare(std::size_t tasks) override;
  void run(std::size_t index) override;
  std::string verify() override;
  void on_rejected(std::size_t index) override { ledger_.mark_rejected(index); }
  const TaskTag* tags() const override { return tags_.get(); }

  static TaskTag mixed_priority_tag(std::size_t index, std::size_t tasks, double urgent_share);
  static TaskTag tenants_tag(std::size_t index, std::size_t tasks, double b_tasks);

 private:
  double duration_ns_;
  Tagger tagger_;
  double share_or_count_;
  std::uint64_t steps_ = 1;
  std::size_t tasks_ = 0;
  std::unique_ptr<std::uint64_t[]> results_;
  std::unique_ptr<TaskTag[]> tags_;
  ExactlyOnceLedger ledger_;
};

}  // namespace poolbench
