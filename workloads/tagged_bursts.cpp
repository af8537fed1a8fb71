#include "tagged_bursts.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "cpu_burst.hpp"
#include "default_workers.hpp"
#include "registry.hpp"

namespace poolbench {
namespace {

std::uint64_t tagged_seed_of(std::size_t index) noexcept {
  return 0xd1b54a32d192ed03ULL * (index + 1);
}

}  // namespace

TaggedBurstsWorkload::TaggedBurstsWorkload(double duration_us, Tagger tagger, double share_or_count)
    : duration_ns_(duration_us * 1000.0), tagger_(tagger), share_or_count_(share_or_count) {}

TaskTag TaggedBurstsWorkload::mixed_priority_tag(std::size_t index, std::size_t, double urgent_share) {
  const auto before = static_cast<std::uint64_t>(std::floor(static_cast<double>(index) * urgent_share));
  const auto after = static_cast<std::uint64_t>(std::floor(static_cast<double>(index + 1) * urgent_share));
  return {.tenant = 0, .priority = after > before ? TaskPriority::urgent : TaskPriority::normal};
}

TaskTag TaggedBurstsWorkload::tenants_tag(std::size_t index, std::size_t tasks, double b_tasks) {
  const auto b = static_cast<std::size_t>(b_tasks);
  return {.tenant = index + b >= tasks ? 1U : 0U, .priority = TaskPriority::normal};
}

void TaggedBurstsWorkload::prepare(std::size_t tasks) {
  steps_ = std::max<std::uint64_t>(
      1,
      static_cast<std::uint64_t>(std::llround(duration_ns_ * CpuBurstWorkload::calibrated_steps_per_ns())));
  tasks_ = tasks;
  results_ = std::make_unique<std::uint64_t[]>(tasks);
  tags_ = std::make_unique<TaskTag[]>(tasks);
  for (std::size_t i = 0; i < tasks; ++i) tags_[i] = tagger_(i, tasks, share_or_count_);
  ledger_.reset(tasks);
}

void TaggedBurstsWorkload::run(std::size_t index) {
  results_[index] = CpuBurstWorkload::burst(tagged_seed_of(index), steps_);
  ledger_.record(index);
}

std::string TaggedBurstsWorkload::verify() {
  if (std::string failure = ledger_.verify(); !failure.empty()) return failure;
  // As cpu_burst: 64 evenly spread results recomputed show that the stored ones are the computation's.
  const std::size_t checks = std::min<std::size_t>(tasks_, 64);
  for (std::size_t k = 0; k < checks; ++k) {
    const std::size_t i = k * tasks_ / checks;
    if (!ledger_.rejected(i) && results_[i] != CpuBurstWorkload::burst(tagged_seed_of(i), steps_))
      return fmt::format("task {} stored a wrong result", i);
  }
  return {};
}

namespace {

ParamSpec duration_param() {
  return ParamSpec{.name = "duration_us",
                   .default_value = "50",
                   .description = "CPU time per task in microseconds (cpu_burst's calibrated computation)",
                   .kind = ParamKind::positive_number};
}

double nominal_ns(const Params& params) {
  return params.number("duration_us") * 1000.0;
}

const WorkloadRegistrar mixed_priority_registrar{WorkloadInfo{
    .name = "mixed_priority",
    .description = "cpu_burst tasks of which a share (urgent_share) is tagged urgent, spread evenly: the "
                   "guide's Exercise 2; queue waits per class",
    .params = {duration_param(), ParamSpec{.name = "urgent_share",
                                           .default_value = "0.1",
                                           .description = "the share of urgent tasks, above 0 and at most 1",
                                           .kind = ParamKind::positive_number}},
    .make =
        [](const WorkloadConfig& config) {
          const double share = config.params.number("urgent_share");
          if (share > 1) throw ParamError(fmt::format("urgent_share ({}) must be at most 1", share));
          return std::make_unique<TaggedBurstsWorkload>(config.params.number("duration_us"),
                                                        &TaggedBurstsWorkload::mixed_priority_tag, share);
        },
    .default_tasks = {20000},
    .quick_tasks = 2000,
    .default_workers = cpu_work_workers(machine_cores()),
    .nominal_task_ns = nominal_ns,
    .uses_cpu = true,
    .in_default_matrix = false,
}};

const WorkloadRegistrar tenants_registrar{WorkloadInfo{
    .name = "tenants",
    .description = "cpu_burst tasks of tenant A, then b_tasks (1) of tenant B: the guide's Exercise 5; B's "
                   "queue wait against A's",
    .params = {duration_param(),
               ParamSpec{
                   .name = "b_tasks",
                   .default_value = "1",
                   .description = "tenant B's tasks, submitted after all of A's (the case's other tasks)",
                   .kind = ParamKind::positive_integer}},
    .make =
        [](const WorkloadConfig& config) {
          return std::make_unique<TaggedBurstsWorkload>(
              config.params.number("duration_us"), &TaggedBurstsWorkload::tenants_tag,
              static_cast<double>(config.params.integer("b_tasks")));
        },
    .default_tasks = {1001},
    .quick_tasks = 1001,
    .default_workers = cpu_work_workers(machine_cores()),
    .nominal_task_ns = nominal_ns,
    .uses_cpu = true,
    .in_default_matrix = false,
}};

}  // namespace
}  // namespace poolbench
