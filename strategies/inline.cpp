#include "inline.hpp"

#include "registry.hpp"

namespace poolbench {

SubmitResult InlineStrategy::submit(Task task) {
  if (closed_.load(std::memory_order_relaxed)) return SubmitResult::closed();
  task();
  return SubmitResult::accepted();
}

namespace {
const StrategyRegistrar inline_registrar{StrategyInfo{
    .name = "inline",
    .description = "runs each task in the submitting thread: the lower bound, no pool at all",
    .traits = {.queue_order = QueueOrder::caller,
               .worker_lifecycle = WorkerLifecycle::caller_thread,
               .when_full = WhenFull::never_full,
               .on_exception = OnException::propagates_to_submitter,
               .returns_results = false,
               .cancellation = false,
               .synchronous_submit = true,
               .worker_state = false},
    .params = {},
    .make = [](const StrategyConfig&) { return std::make_unique<InlineStrategy>(); },
    .nominal_overhead_ns = 5,
    .models =
        {
            {.mode = "",
             .library = "none: the lower bound, a plain function call",
             .matches = "what a task costs with no hand-off at all: no thread, no queue; an exception leaves "
                        "submit() as it would leave a call",
             .differs =
                 "not a pool: tasks run in the submitting thread, one at a time per producer, so nothing "
                 "overlaps"},
        },
}};
}  // namespace

}  // namespace poolbench
