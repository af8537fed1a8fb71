// CaseSpec <-> JSON (the parent hands each child its case this way) and the producer rule for synchronous
// pools.
#include <algorithm>

#include <fmt/format.h>

#include "errors.hpp"
#include "probe/placement.hpp"
#include "run/plan.hpp"

namespace poolbench {

nlohmann::json case_spec_to_json(const CaseSpec& spec) {
  return {{"name", spec.name},
          {"case", case_to_json(spec.info)},
          {"family_index", spec.family_index},
          {"repetition_index", spec.repetition_index},
          {"repetitions", spec.repetitions},
          {"estimate_seconds", spec.estimate_seconds},
          {"warmup_tasks", spec.warmup_tasks},
          {"probe_enabled", spec.probe_enabled},
          {"affinity", spec.affinity}};
}

CaseSpec case_spec_from_json(const nlohmann::json& value) {
  try {
    CaseSpec spec;
    spec.name = value.at("name").get<std::string>();
    spec.info = case_from_json(value.at("case"));
    spec.family_index = value.value("family_index", std::size_t{0});
    spec.repetition_index = value.value("repetition_index", std::size_t{0});
    spec.repetitions = value.value("repetitions", std::size_t{1});
    spec.estimate_seconds = value.value("estimate_seconds", 0.0);
    spec.warmup_tasks = value.value("warmup_tasks", std::size_t{0});
    spec.probe_enabled = value.value("probe_enabled", true);
    spec.affinity = value.value("affinity", std::string("none"));
    probe::parse_affinity(spec.affinity);  // a bad value: UsageError before the case starts
    return spec;
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(fmt::format("malformed case spec: {}", e.what()));
  } catch (const CaseInfoError& e) {
    throw UsageError(fmt::format("malformed case spec: {}", e.what()));
  }
}

std::size_t effective_producers(const StrategyTraits& traits, std::size_t producers, std::size_t workers) {
  if (traits.synchronous_submit && traits.worker_lifecycle != WorkerLifecycle::caller_thread)
    return std::max(producers, workers);
  return producers;
}

}  // namespace poolbench
