#include "test_failures.hpp"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "registry.hpp"
#include "sleep.hpp"

namespace poolbench {

void MisbehavingWorkload::prepare(std::size_t tasks) {
  tasks_ = tasks;
  ledger_.reset(tasks);
}

namespace {
// A real invalid access, not a raise(): what a buggy task would do. volatile keeps the compiler from proving
// it undefined and deleting it. Sanitizer builds install their own SIGSEGV handler, which reports and exits
// with status 1 (and UBSan reports the null store before it happens); the default disposition restored here,
// and the store kept out of UBSan's checks, make the process die of the signal in every build, as it would
// in production, so that the runner's "crashed: signal 11" is what every build tests.
__attribute__((no_sanitize("undefined"))) void write_through_null() {
  std::signal(SIGSEGV, SIG_DFL);
  volatile int* volatile nowhere = nullptr;
  *nowhere = 1;
}
}  // namespace

void MisbehavingWorkload::run(std::size_t index) {
  if (index == at_ % std::max<std::size_t>(tasks_, 1)) {
    switch (failure_) {
      case Failure::crash:
        if (how_ == "abort") std::abort();
        write_through_null();
        break;
      case Failure::hang:
        while (true) sleep_for(std::chrono::seconds(1));
      case Failure::lose_task:
        return;
    }
  }
  ledger_.record(index);
}

std::string MisbehavingWorkload::verify() {
  return ledger_.verify();
}

namespace {

std::vector<ParamSpec> params_with(std::vector<ParamSpec> extra) {
  std::vector<ParamSpec> params = {
      {"at", "0", "index of the task that misbehaves", ParamKind::non_negative_integer}};
  for (auto& spec : extra) params.push_back(std::move(spec));
  return params;
}

WorkloadInfo misbehaving(const char* name, const char* description, MisbehavingWorkload::Failure failure,
                         std::vector<ParamSpec> extra = {}) {
  return WorkloadInfo{
      .name = name,
      .description = description,
      .params = params_with(std::move(extra)),
      .make =
          [failure](const WorkloadConfig& config) {
            const std::string how = config.params.has("how") ? config.params.text("how") : "";
            return std::make_unique<MisbehavingWorkload>(
                failure, static_cast<std::size_t>(config.params.integer("at")), how);
          },
      .default_tasks = {100},
      .quick_tasks = 100,
      .default_workers = {2},
      .default_sweep = {},
      .nominal_task_ns = [](const Params&) { return 10.0; },
      .uses_cpu = true,
      .test_only = true,
  };
}

const WorkloadRegistrar crash{
    misbehaving("test_crash", "test only: one task crashes the process", MisbehavingWorkload::Failure::crash,
                {{"how", "segv", "segv or abort", ParamKind::choice, {"segv", "abort"}}})};
const WorkloadRegistrar hang{
    misbehaving("test_hang", "test only: one task never returns", MisbehavingWorkload::Failure::hang)};
const WorkloadRegistrar lose{misbehaving("test_lose_task",
                                         "test only: one task is skipped (exactly-once must fail)",
                                         MisbehavingWorkload::Failure::lose_task)};

}  // namespace
}  // namespace poolbench
