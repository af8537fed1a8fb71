// ExactlyOnceLedger: the harness's central check — every task index ran exactly once — written once, for
// every workload's verify() and for the conformance suite.
//
// A task calls record(index) as the last thing it does; after wait() the owner calls verify(), which returns
// "" or one message in one format: how many tasks were lost, how many ran more than once (and, against
// expected counts, how many ran although they were rejected), and the first few offending indices with their
// counts, e.g. "exactly-once violated: 1 of 50 tasks lost, 0 ran more than once (first: task 7 ran 0 times)".
//
// Memory order, one discipline: record() is a release increment and verify() reads with acquire loads, so
// whatever a task stored before record() (a result the workload checks next) is visible to verify() whatever
// the strategy's own synchronisation; on x86 these are the same instructions as relaxed ones. One byte per
// task (and one bit for "rejected"), so that a ledger of a million tasks stays small in the case's memory
// figures; a task run 256 times reads as lost, still a violation.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace poolbench {

class ExactlyOnceLedger {
 public:
  ExactlyOnceLedger() = default;
  explicit ExactlyOnceLedger(std::size_t tasks) { reset(tasks); }

  // Forgets every record: `tasks` indices, none run yet, none rejected (allocates; call it before the
  // measured window).
  void reset(std::size_t tasks) {
    tasks_ = tasks;
    runs_ = std::make_unique<std::atomic<std::uint8_t>[]>(tasks);
    rejected_ = std::make_unique<std::atomic<std::uint64_t>[]>((tasks + 63) / 64);
  }
  std::size_t tasks() const noexcept { return tasks_; }

  // Task `index` ran (once more). From any thread, concurrently.
  void record(std::size_t index) noexcept { runs_[index].fetch_add(1, std::memory_order_release); }

  // The strategy refused task `index` (`overloaded`): it must never run. From any thread, concurrently.
  void mark_rejected(std::size_t index) noexcept {
    rejected_[index / 64].fetch_or(std::uint64_t{1} << (index % 64), std::memory_order_release);
  }
  bool rejected(std::size_t index) const noexcept {
    return (rejected_[index / 64].load(std::memory_order_acquire) >> (index % 64)) & 1U;
  }
  std::size_t rejected_count() const noexcept {
    std::size_t count = 0;
    for (std::size_t word = 0; word < (tasks_ + 63) / 64; ++word)
      count += static_cast<std::size_t>(std::popcount(rejected_[word].load(std::memory_order_acquire)));
    return count;
  }

  // How many times task `index` ran, as far as this thread can see.
  unsigned runs(std::size_t index) const noexcept { return runs_[index].load(std::memory_order_acquire); }

  // "" when every accepted task ran exactly once and every rejected one never; otherwise what went wrong.
  std::string verify() const {
    return verify([this](std::size_t index) { return rejected(index) ? 0u : 1u; });
  }

  // "" when task i ran exactly expected(i) times, expected(i) being 0 (a rejected task) or 1; otherwise what
  // went wrong.
  template <class Expected>
  std::string verify(Expected expected) const {
    constexpr std::size_t examples_shown = 5;
    std::size_t lost = 0;
    std::size_t duplicated = 0;
    std::size_t unwanted = 0;
    std::string examples;
    std::size_t shown = 0;
    for (std::size_t i = 0; i < tasks_; ++i) {
      const unsigned want = expected(i);
      const unsigned got = runs(i);
      if (got == want) continue;
      if (want == 0) {
        ++unwanted;
      } else if (got < want) {
        ++lost;
      } else {
        ++duplicated;
      }
      if (shown++ < examples_shown)
        examples += (examples.empty() ? "task " : ", task ") + std::to_string(i) + " ran " +
                    std::to_string(got) + (got == 1 ? " time" : " times");
    }
    if (shown == 0) return {};
    std::string message = "exactly-once violated: " + std::to_string(lost) + " of " + std::to_string(tasks_) +
                          " tasks lost, " + std::to_string(duplicated) + " ran more than once";
    if (unwanted != 0) message += ", " + std::to_string(unwanted) + " ran although rejected";
    return message + " (first: " + examples + (shown > examples_shown ? ", ...)" : ")");
  }

 private:
  std::size_t tasks_ = 0;
  std::unique_ptr<std::atomic<std::uint8_t>[]> runs_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> rejected_;  // one bit per task
};

}  // namespace poolbench
