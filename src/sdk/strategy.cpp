#include "strategy.hpp"

namespace poolbench {

std::string_view to_string(QueueOrder value) {
  switch (value) {
    case QueueOrder::caller:
      return "caller";
    case QueueOrder::fifo:
      return "fifo";
    case QueueOrder::lifo_idle_worker:
      return "lifo_idle_worker";
    case QueueOrder::fifo_per_shard:
      return "fifo_per_shard";
    case QueueOrder::unordered:
      return "unordered";
    case QueueOrder::fifo_idle_worker:
      return "fifo_idle_worker";
    case QueueOrder::urgent_first:
      return "urgent_first";
    case QueueOrder::fair_per_tenant:
      return "fair_per_tenant";
  }
  return "unknown";
}

std::string_view to_string(WorkerLifecycle value) {
  switch (value) {
    case WorkerLifecycle::caller_thread:
      return "caller_thread";
    case WorkerLifecycle::thread_per_task:
      return "thread_per_task";
    case WorkerLifecycle::fixed_workers:
      return "fixed_workers";
    case WorkerLifecycle::on_demand_with_expiry:
      return "on_demand_with_expiry";
    case WorkerLifecycle::on_demand_resident:
      return "on_demand_resident";
    case WorkerLifecycle::fiber_per_task:
      return "fiber_per_task";
  }
  return "unknown";
}

std::string_view to_string(WhenFull value) {
  switch (value) {
    case WhenFull::never_full:
      return "never_full";
    case WhenFull::blocks:
      return "blocks";
    case WhenFull::blocks_or_rejects:
      return "blocks_or_rejects";
  }
  return "unknown";
}

std::string_view to_string(OnException value) {
  switch (value) {
    case OnException::propagates_to_submitter:
      return "propagates_to_submitter";
    case OnException::terminates_process:
      return "terminates_process";
    case OnException::first_error_from_wait:
      return "first_error_from_wait";
    case OnException::handler_called_continues:
      return "handler_called_continues";
    case OnException::stored_in_task_handle:
      return "stored_in_task_handle";
  }
  return "unknown";
}

}  // namespace poolbench
