#include "worker_state.hpp"

namespace poolbench {
namespace {
thread_local WorkerState* installed_state = nullptr;
}

WorkerState* current_worker_state() noexcept {
  return installed_state;
}

WorkerStateScope::WorkerStateScope(WorkerState* state) noexcept : previous_(installed_state) {
  installed_state = state;
}

WorkerStateScope::~WorkerStateScope() {
  installed_state = previous_;
}

}  // namespace poolbench
