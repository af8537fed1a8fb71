// Task: the unit of work the harness hands to a strategy.
//
// A move-only `void()` callable that stores closures of up to `inline_capacity` bytes inside itself, so that
// wrapping a harness closure never allocates: any allocation counted per task belongs to the strategy (a
// thread, a future's shared state, a queue node), never to this wrapper. Larger callables are boxed in a
// unique_ptr (which itself fits inline); the harness's own closures are static_asserted to fit.
//
// A task also carries a TaskTag: its priority class and its tenant, set by the driver from the workload
// (Workload::tags()) for the strategies that schedule by them (priority, fair_tenants). Every other strategy
// ignores it, and an untagged task is normal and of tenant 0. The tag sits where Task had padding, so Task's
// size did not change (SDK 0.2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace poolbench {

enum class TaskPriority : std::uint8_t { normal = 0, urgent = 1 };

struct TaskTag {
  std::uint32_t tenant = 0;  // who submitted it: a fair scheduler's queue (tenant A is 0, B is 1)
  TaskPriority priority = TaskPriority::normal;

  bool operator==(const TaskTag&) const = default;
};

class Task {
 public:
  static constexpr std::size_t inline_capacity = 48;

  template <class F>
  static constexpr bool fits_inline =
      sizeof(F) <= inline_capacity &&
      alignof(F) <= alignof(std::max_align_t) && std::is_nothrow_move_constructible_v<F>;

  Task() noexcept = default;

  template <class F>
  requires(!std::is_same_v<std::decay_t<F>, Task> && std::is_invocable_r_v<void, std::decay_t<F>&>)
      Task(F&& callable) {  // NOLINT(google-explicit-constructor): a Task is made from any callable, as
                            // std::function
    using Fn = std::decay_t<F>;
    if constexpr (fits_inline<Fn>) {
      ::new (static_cast<void*>(storage_)) Fn(std::forward<F>(callable));
      ops_ = &ops_for<Fn>;
    } else {
      using Boxed = Box<Fn>;
      ::new (static_cast<void*>(storage_)) Boxed{std::make_unique<Fn>(std::forward<F>(callable))};
      ops_ = &ops_for<Boxed>;
    }
  }

  Task(Task&& other) noexcept : ops_(other.ops_), tag_(other.tag_) {
    if (ops_ != nullptr) {
      ops_->move(storage_, other.storage_);
      other.reset();
    }
  }

  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      reset();
      ops_ = other.ops_;
      tag_ = other.tag_;
      if (ops_ != nullptr) {
        ops_->move(storage_, other.storage_);
        other.reset();
      }
    }
    return *this;
  }

  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  explicit operator bool() const noexcept { return ops_ != nullptr; }

  // Runs the callable. Exceptions propagate to the caller (the strategy decides what they mean).
  void operator()() { ops_->invoke(storage_); }

  const TaskTag& tag() const noexcept { return tag_; }
  void set_tag(const TaskTag& tag) noexcept { tag_ = tag; }

  void reset() noexcept {
    if (ops_ != nullptr) {
      ops_->destroy(storage_);
      ops_ = nullptr;
    }
  }

 private:
  template <class Fn>
  struct Box {
    std::unique_ptr<Fn> fn;
    void operator()() { (*fn)(); }
  };

  struct Ops {
    void (*invoke)(void*);
    void (*move)(void* destination, void* source) noexcept;
    void (*destroy)(void*) noexcept;
  };

  template <class Fn>
  static constexpr Ops ops_for{
      [](void* self) { (*static_cast<Fn*>(self))(); },
      [](void* destination, void* source) noexcept {
        ::new (destination) Fn(std::move(*static_cast<Fn*>(source)));
      },
      [](void* self) noexcept { static_cast<Fn*>(self)->~Fn(); },
  };

  alignas(std::max_align_t) std::byte storage_[inline_capacity];
  const Ops* ops_ = nullptr;
  TaskTag tag_{};
};

}  // namespace poolbench
