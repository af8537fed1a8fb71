#include "result/case_info.hpp"

#include <array>
#include <cmath>
#include <initializer_list>

#include <fmt/format.h>

namespace poolbench {
namespace {

// The enum value whose name is `text`, among `values`; nullopt when none is.
template <class Enum>
std::optional<Enum> enum_named(const std::string& text, std::initializer_list<Enum> values) {
  for (Enum value : values)
    if (to_string(value) == text) return value;
  return std::nullopt;
}

const nlohmann::json& field(const nlohmann::json& object, const char* key, const char* where) {
  auto found = object.find(key);
  if (found == object.end()) throw CaseInfoError(fmt::format("{} has no '{}'", where, key));
  return *found;
}

std::string text_field(const nlohmann::json& object, const char* key, const char* where) {
  const nlohmann::json& value = field(object, key, where);
  if (!value.is_string()) throw CaseInfoError(fmt::format("{}: '{}' is not a string", where, key));
  return value.get<std::string>();
}

bool flag_field(const nlohmann::json& object, const char* key) {
  const nlohmann::json& value = field(object, key, "'strategy_traits'");
  if (!value.is_boolean())
    throw CaseInfoError(fmt::format("'strategy_traits': '{}' is not true or false", key));
  return value.get<bool>();
}

// A count: absent reads as 0 (Google Benchmark's files and hand-written ones may leave them out).
std::size_t count_field(const nlohmann::json& object, const char* key) {
  auto found = object.find(key);
  if (found == object.end() || found->is_null()) return 0;
  if (found->is_number_unsigned()) return found->get<std::size_t>();
  if (!found->is_number()) throw CaseInfoError(fmt::format("'{}' is not a number", key));
  const double value = found->get<double>();
  if (value < 0) throw CaseInfoError(fmt::format("'{}' is negative: {}", key, value));
  // 2^64 is exactly representable; anything at or above it does not fit.
  if (!(value < 18446744073709551616.0) || value != std::floor(value))
    throw CaseInfoError(fmt::format("'{}' is not a whole number in range: {}", key, value));
  return static_cast<std::size_t>(value);
}

// Parameter values are strings; numbers and booleans (hand-written files) read as their JSON text.
std::map<std::string, std::string> params_field(const nlohmann::json& object, const char* key) {
  std::map<std::string, std::string> out;
  auto found = object.find(key);
  if (found == object.end() || found->is_null()) return out;
  if (!found->is_object()) throw CaseInfoError(fmt::format("'{}' is not an object", key));
  for (const auto& [name, value] : found->items()) {
    if (value.is_string())
      out[name] = value.get<std::string>();
    else if (value.is_number() || value.is_boolean())
      out[name] = value.dump();
    else
      throw CaseInfoError(
          fmt::format("'{}': parameter '{}' is not a string or number", key, name.substr(0, 60)));
  }
  return out;
}

// A positive finite number, or absent (0).
double positive_field(const nlohmann::json& object, const char* key) {
  auto found = object.find(key);
  if (found == object.end() || found->is_null()) return 0;
  if (!found->is_number()) throw CaseInfoError(fmt::format("'arrival': '{}' is not a number", key));
  const double value = found->get<double>();
  if (!(value > 0) || !std::isfinite(value))
    throw CaseInfoError(fmt::format("'arrival': '{}' is not a positive number: {}", key, value));
  return value;
}

}  // namespace

Arrival arrival_from_json(const nlohmann::json& value) {
  if (!value.is_object()) throw CaseInfoError("'arrival' is not an object");
  Arrival arrival;
  const auto process = arrival_process_named(text_field(value, "process", "'arrival'"));
  if (!process) throw CaseInfoError("'arrival': 'process' is not closed, uniform or poisson");
  arrival.process = *process;
  arrival.rate_per_second = positive_field(value, "rate_per_second");
  arrival.load = positive_field(value, "load");
  arrival.seed = count_field(value, "seed");
  if (arrival.open_loop() && (arrival.rate_per_second > 0) == (arrival.load > 0))
    throw CaseInfoError("'arrival': an open loop has exactly one of 'rate_per_second' and 'load'");
  return arrival;
}

std::string_view to_string(ArrivalProcess process) {
  switch (process) {
    case ArrivalProcess::closed:
      return "closed";
    case ArrivalProcess::uniform:
      return "uniform";
    case ArrivalProcess::poisson:
      return "poisson";
  }
  return "?";
}

std::optional<ArrivalProcess> arrival_process_named(std::string_view text) {
  for (ArrivalProcess process : {ArrivalProcess::closed, ArrivalProcess::uniform, ArrivalProcess::poisson})
    if (to_string(process) == text) return process;
  return std::nullopt;
}

std::map<std::string, std::string> CaseInfo::load_params() const {
  std::map<std::string, std::string> out = workload_params;
  if (arrival.open_loop()) {
    out["arrival"] = std::string(to_string(arrival.process));
    if (arrival.load > 0)
      out["load"] = fmt::format("{}", arrival.load);
    else
      out["rate"] = fmt::format("{}", arrival.rate_per_second);
  }
  return out;
}

std::map<std::string, std::string> CaseInfo::params() const {
  std::map<std::string, std::string> out = load_params();
  out.insert(strategy_params.begin(), strategy_params.end());
  return out;
}

nlohmann::ordered_json traits_to_json(const StrategyTraits& traits) {
  nlohmann::ordered_json out;
  out["queue_order"] = to_string(traits.queue_order);
  out["worker_lifecycle"] = to_string(traits.worker_lifecycle);
  out["when_full"] = to_string(traits.when_full);
  out["on_exception"] = to_string(traits.on_exception);
  out["returns_results"] = traits.returns_results;
  out["cancellation"] = traits.cancellation;
  out["synchronous_submit"] = traits.synchronous_submit;
  out["worker_state"] = traits.worker_state;
  return out;
}

std::optional<StrategyTraits> traits_from_json(const nlohmann::json& value) {
  if (!value.is_object()) throw CaseInfoError("'strategy_traits' is not an object");
  const char* where = "'strategy_traits'";
  const auto queue_order =
      enum_named(text_field(value, "queue_order", where),
                 {QueueOrder::caller, QueueOrder::fifo, QueueOrder::lifo_idle_worker,
                  QueueOrder::fifo_per_shard, QueueOrder::unordered, QueueOrder::fifo_idle_worker,
                  QueueOrder::urgent_first, QueueOrder::fair_per_tenant});
  const auto worker_lifecycle =
      enum_named(text_field(value, "worker_lifecycle", where),
                 {WorkerLifecycle::caller_thread, WorkerLifecycle::thread_per_task,
                  WorkerLifecycle::fixed_workers, WorkerLifecycle::on_demand_with_expiry,
                  WorkerLifecycle::on_demand_resident, WorkerLifecycle::fiber_per_task});
  const auto when_full = enum_named(text_field(value, "when_full", where),
                                    {WhenFull::never_full, WhenFull::blocks, WhenFull::blocks_or_rejects});
  const auto on_exception =
      enum_named(text_field(value, "on_exception", where),
                 {OnException::propagates_to_submitter, OnException::terminates_process,
                  OnException::first_error_from_wait, OnException::handler_called_continues,
                  OnException::stored_in_task_handle});
  StrategyTraits traits;
  traits.returns_results = flag_field(value, "returns_results");
  traits.cancellation = flag_field(value, "cancellation");
  traits.synchronous_submit = flag_field(value, "synchronous_submit");
  traits.worker_state = flag_field(value, "worker_state");
  if (!queue_order || !worker_lifecycle || !when_full || !on_exception) return std::nullopt;
  traits.queue_order = *queue_order;
  traits.worker_lifecycle = *worker_lifecycle;
  traits.when_full = *when_full;
  traits.on_exception = *on_exception;
  return traits;
}

nlohmann::ordered_json case_to_json(const CaseInfo& info) {
  nlohmann::ordered_json out;
  out["strategy"] = info.strategy;
  out["workload"] = info.workload;
  out["tasks"] = info.tasks;
  out["workers"] = info.workers;
  out["producers"] = info.producers;
  if (info.effective_producers != 0) out["effective_producers"] = info.effective_producers;
  if (info.params_owner_inferred) {
    // Read from the previous layout: write it back as it was, without owners the file never recorded.
    out["params"] = info.params();
  } else {
    out["strategy_params"] = info.strategy_params;
    out["workload_params"] = info.workload_params;
  }
  if (!info.strategy_description.empty()) out["strategy_description"] = info.strategy_description;
  if (info.strategy_traits) out["strategy_traits"] = traits_to_json(*info.strategy_traits);
  if (info.arrival.open_loop()) {
    nlohmann::ordered_json arrival;
    arrival["process"] = to_string(info.arrival.process);
    if (info.arrival.load > 0)
      arrival["load"] = info.arrival.load;
    else
      arrival["rate_per_second"] = info.arrival.rate_per_second;
    arrival["seed"] = info.arrival.seed;
    out["arrival"] = std::move(arrival);
  }
  return out;
}

CaseInfo case_from_json(const nlohmann::json& value) {
  if (!value.is_object()) throw CaseInfoError("'case' is not an object");
  CaseInfo info;
  info.strategy = text_field(value, "strategy", "'case'");
  info.workload = text_field(value, "workload", "'case'");
  if (info.strategy.empty() || info.workload.empty())
    throw CaseInfoError("'case' has an empty strategy or workload");
  info.tasks = count_field(value, "tasks");
  info.workers = count_field(value, "workers");
  info.producers = count_field(value, "producers");
  info.effective_producers = count_field(value, "effective_producers");
  if (value.contains("strategy_params") || value.contains("workload_params")) {
    info.strategy_params = params_field(value, "strategy_params");
    info.workload_params = params_field(value, "workload_params");
  } else {
    info.workload_params = params_field(value, "params");
    info.params_owner_inferred = true;
  }
  if (auto description = value.find("strategy_description"); description != value.end()) {
    if (!description->is_string()) throw CaseInfoError("'strategy_description' is not a string");
    info.strategy_description = description->get<std::string>();
  }
  if (auto traits = value.find("strategy_traits"); traits != value.end() && !traits->is_null())
    info.strategy_traits = traits_from_json(*traits);
  if (auto arrival = value.find("arrival"); arrival != value.end() && !arrival->is_null())
    info.arrival = arrival_from_json(*arrival);
  return info;
}

}  // namespace poolbench
