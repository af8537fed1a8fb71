// ref_moodycamel — a third-party baseline, not a Go model: K fixed threads popping from
// moodycamel::BlockingConcurrentQueue (Debian libconcurrentqueue-dev 1.0.3), the "small pool over a fast
// lock-free queue" every hand-rolled pool should be compared with, used the way its documentation says is
// fastest.
//
// Why this is the library's recommended use. concurrentqueue.h, the comment above `struct ProducerToken`:
// "When producing or consuming many elements, the most efficient way is to: 1) Use one of the bulk-operation
// methods of the queue with a token [...] ideally there should be a maximum of one token per thread (of each
// kind)"; the upstream README (cameron314/concurrentqueue, "Advanced features", Tokens; not shipped by
// Debian) says the same and adds, of the explicit (token) methods, "almost always faster", and that "tokens
// work with the blocking version of the queue too". So: every producer thread enqueues through its own
// ProducerToken (an explicit producer: its own sub-queue, no thread-local hash lookup), every worker owns a
// ConsumerToken and takes up to `bulk` tasks per wait_dequeue_bulk. `--param bulk=1` dequeues one task at a
// time (still with tokens), for comparison. The faster try_dequeue_from_producer is not offered by the
// blocking queue (blockingconcurrentqueue.h: "the removal of producer-specific dequeue methods").
//
// Token lifetime. A token must die before its queue, and a thread may submit to several strategies in turn
// (the conformance suite does). So the ProducerTokens are owned by the strategy — one per submitting thread,
// in a mutex-guarded map keyed by thread id, declared after the queue so that they are destroyed first — and
// a thread finds its token through a one-entry thread-local cache tagged with the strategy's process-unique
// id (never reused, unlike an address), so a cache entry of a destroyed strategy is never followed. The lock
// is taken only on a thread's first submit to a given strategy instance (or after it submitted to another
// one). A thread id reused by a new thread inherits the exited thread's token, which the library allows:
// tokens are not tied to threads, only to one user at a time.
//
// Order: FIFO per producer; consumers rotate over the producers' sub-queues, so there is no order across
// producers (QueueOrder::fifo_per_shard, a "shard" being a producer). Unbounded (never_full). A throwing task
// terminates the process: a minimal pool has no recovery. Shutdown closes submission, waits until every
// accepted task has finished and then sends each worker an empty Task as its stop signal (the signal cannot
// overtake a task, because the queue's cross-producer order would otherwise allow it); a worker whose bulk
// took more than one signal hands the extra ones back, so every worker gets one. Counting what was submitted
// costs one shared fetch_add per submit (wait() needs the number); what finished is counted per worker.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include <concurrentqueue/blockingconcurrentqueue.h>

#include "strategy.hpp"
#include "support/admission_counter.hpp"
#include "support/quiescence.hpp"
#include "support/worker_threads.hpp"

namespace poolbench {

class RefMoodycamelStrategy final : public Strategy {
 public:
  RefMoodycamelStrategy(std::size_t workers, std::size_t bulk);
  ~RefMoodycamelStrategy() override;
  RefMoodycamelStrategy(const RefMoodycamelStrategy&) = delete;
  RefMoodycamelStrategy& operator=(const RefMoodycamelStrategy&) = delete;

  SubmitResult submit(Task task) override;
  std::exception_ptr wait() override;
  void shutdown() override;
  StrategyCounters counters() const override;

 private:
  using Queue = moodycamel::BlockingConcurrentQueue<Task>;

  struct alignas(64) WorkerSlot {
    std::atomic<std::uint64_t> finished{0};
  };

  void work(WorkerSlot& slot) noexcept;
  Queue::producer_token_t& producer_token();  // the calling thread's
  void send_stop_signals(std::size_t count) noexcept;
  std::uint64_t finished_total() const noexcept;

  const std::size_t worker_count_;
  const std::size_t bulk_;
  const std::uint64_t instance_id_;  // process-unique, never reused: tags the thread-local token cache
  Queue queue_;
  // After queue_, so destroyed before it: a token must not outlive its queue.
  std::mutex producer_tokens_mutex_;
  std::map<std::thread::id, std::unique_ptr<Queue::producer_token_t>> producer_tokens_;
  alignas(64) support::AdmissionCounter submitted_;
  support::Quiescence quiescent_;
  std::unique_ptr<WorkerSlot[]> slots_;
  std::once_flag shutdown_once_;
  support::WorkerThreads workers_;  // last: started after everything they use exists
};

}  // namespace poolbench
