#include "result/result_document.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include <benchmark/benchmark.h>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include "build_info.hpp"
#include "metrics/catalogue.hpp"
#include "plugin/plugin_loader.hpp"
#include "registry.hpp"

namespace poolbench {
namespace {

// Google Benchmark's own context (machine, caches, load), written by its JSON reporter for this process.
nlohmann::ordered_json benchmark_context() {
  std::ostringstream text;
  benchmark::JSONReporter reporter;
  reporter.SetOutputStream(&text);
  reporter.SetErrorStream(&text);
  reporter.ReportContext(benchmark::BenchmarkReporter::Context());
  try {
    // ReportContext opens the document and the benchmarks array; close both to parse it.
    return nlohmann::ordered_json::parse(text.str() + "]}").at("context");
  } catch (const std::exception&) {
    return nlohmann::ordered_json::object();
  }
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  return "unknown";
}

std::string iso_now() {
  const auto now = std::chrono::system_clock::now();
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", std::chrono::floor<std::chrono::seconds>(now));
}

nlohmann::ordered_json poolbench_context(const RunDescription& run) {
  struct utsname system {};
  ::uname(&system);
  nlohmann::ordered_json context;
  context["version"] = POOLBENCH_VERSION;
  context["git_commit"] = git_commit();
  context["compiler"] = fmt::format("g++ {}", __VERSION__);
  context["build_type"] = POOLBENCH_BUILD_TYPE;
  context["sanitizer"] = POOLBENCH_SANITIZE;
#ifdef POOLBENCH_JEMALLOC
  context["allocator"] = "jemalloc";
#else
  context["allocator"] = "glibc malloc";
#endif
  context["kernel"] = fmt::format("{} {} {}", system.sysname, system.release, system.machine);
  context["cpu_model"] = cpu_model();
  context["cores"] = std::thread::hardware_concurrency();
  // The K each workload runs at without -k: derived from the core count (default_workers.hpp).
  for (const WorkloadInfo* workload : workload_registry().all())
    context["default_workers"][workload->name] = workload->default_workers;
  context["command_line"] = run.command_line;
  context["date"] = iso_now();
  context["repetitions"] = run.repetitions;
  context["timeout_seconds"] = run.timeout_seconds;
  if (run.timeout_estimate_factor > 0) context["timeout_estimate_factor"] = run.timeout_estimate_factor;
  context["cases"] = run.cases;
  if (!run.plan_digest.empty()) context["plan"] = {{"cases", run.plan_cases}, {"digest", run.plan_digest}};
  if (run.shard_count > 0) context["shard"] = {{"index", run.shard_index}, {"count", run.shard_count}};
  context["warmup_tasks"] = run.warmup_tasks;
  context["probe"] = run.probe_enabled ? "on" : "off";
  context["affinity"] = run.affinity;
  context["repetition_order"] = "interleaved";
  context["metrics"] = metrics::catalogue_to_json();
  return context;
}

// `text` with every line after the first indented by `indent` spaces: a value dumped on its own, placed
// inside a document dumped with indent 2. JSON strings hold no raw newlines, so every newline ends a line.
void append_indented(std::string& out, const std::string& text, std::size_t indent) {
  const std::string margin(indent, ' ');
  std::size_t begin = 0;
  while (true) {
    const std::size_t newline = text.find('\n', begin);
    out.append(text, begin, newline == std::string::npos ? std::string::npos : newline + 1 - begin);
    if (newline == std::string::npos) return;
    out += margin;
    begin = newline + 1;
  }
}

// As the result writer: strings that are not UTF-8 (a path, a child's message) are written with U+FFFD in
// place of their bad bytes, never fatal.
std::string dumped(const nlohmann::ordered_json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void set_identity(ResultEntry& entry, const EntryIdentity& identity) {
  entry.name = identity.name;
  entry.run_name = identity.name;
  entry.run_type = "iteration";
  entry.family_index = static_cast<std::int64_t>(identity.family_index);
  entry.per_family_instance_index = 0;
  entry.repetitions = static_cast<std::int64_t>(identity.repetitions);
  entry.repetition_index = static_cast<std::int64_t>(identity.repetition_index);
  entry.case_info = identity.info;
}

}  // namespace

nlohmann::ordered_json run_context(const RunDescription& run) {
  nlohmann::ordered_json context = benchmark_context();
  context["executable"] = run.executable;
  context["poolbench"] = poolbench_context(run);
  // Which plugin binaries the strategies and workloads came from, so that a comparison knows what it
  // compares.
  for (const LoadedPlugin& plugin : loaded_plugins())
    context["poolbench"]["plugins"].push_back({{"path", plugin.path},
                                               {"name", plugin.name},
                                               {"sha256", plugin.sha256},
                                               {"sdk_version", plugin.sdk_version},
                                               {"strategies", plugin.strategies},
                                               {"workloads", plugin.workloads}});
  return context;
}

ResultEntry stamp_entry(const nlohmann::ordered_json& child_entry, const EntryIdentity& identity) {
  ResultEntry entry;
  try {
    entry = entry_from_json(nlohmann::json::parse(dumped(child_entry, -1)), "the child's entry");
  } catch (const std::exception& error) {
    return failed_entry(identity, fmt::format("child wrote no usable result ({})", error.what()));
  }
  set_identity(entry, identity);
  return entry;
}

ResultEntry failed_entry(const EntryIdentity& identity, const std::string& reason) {
  ResultEntry entry;
  entry.threads = 1;
  entry.error_occurred = true;
  entry.error_message = reason;
  entry.time_unit = "ms";
  set_identity(entry, identity);
  return entry;
}

ResultDocument::ResultDocument(std::string path, nlohmann::ordered_json context, std::size_t cases)
    : path_(std::move(path)), context_(std::move(context)), cases_(cases) {
  if (auto poolbench = context_.find("poolbench"); poolbench != context_.end() && poolbench->is_object())
    if (auto repetitions = poolbench->find("repetitions"); repetitions != poolbench->end() &&
                                                           repetitions->is_number_integer() &&
                                                           repetitions->get<std::int64_t>() > 0)
      repetitions_expected_ = repetitions->get<std::size_t>();
}

void ResultDocument::add(std::size_t case_index, ResultEntry entry) {
  if (!entry.error_occurred) {
    if (auto found = entry.counters.find(metrics::name::instrumentation_ns_per_task);
        found != entry.counters.end())
      instrumentation_ns_per_task_.push_back(found->second);
    if (auto found = entry.counters.find(metrics::name::timing_sample_every); found != entry.counters.end())
      largest_timing_sample_every_ = std::max(largest_timing_sample_every_, found->second);
  }
  CaseBlock& block = cases_.at(case_index);
  block.repetitions.push_back(std::move(entry));
  ++repetitions_added_;

  // Only this case's block changes: its repetitions and the aggregates over them.
  std::vector<const ResultEntry*> repetitions;
  for (const ResultEntry& repetition : block.repetitions) repetitions.push_back(&repetition);
  std::vector<const ResultEntry*> serialized = repetitions;
  const std::vector<ResultEntry> aggregates = aggregates_of(repetitions);
  for (const ResultEntry& aggregate : aggregates) serialized.push_back(&aggregate);
  block.text.clear();
  for (const ResultEntry* item : serialized) {
    if (!block.text.empty()) block.text += ",\n    ";
    append_indented(block.text, dumped(entry_to_json(*item), 2), 4);
  }
  entries_serialized_ += serialized.size();
}

// The probe's own cost, from every successful repetition (each case process measures it): the smallest
// measured cost per timed task, as the driver itself keeps the fastest of its trials (a loaded machine only
// ever adds to it), and the largest one-in-S sampling any case used (S depends on the case's task count).
nlohmann::ordered_json ResultDocument::context_with_probe_cost() const {
  nlohmann::ordered_json context = context_;
  if (!context.contains("poolbench")) return context;
  auto& poolbench = context["poolbench"];
  poolbench["complete"] = !known_incomplete_ &&
                          (declared_complete_ || repetitions_added_ >= cases_.size() * repetitions_expected_);
  if (!instrumentation_ns_per_task_.empty())
    poolbench[metrics::name::instrumentation_ns_per_task] =
        *std::min_element(instrumentation_ns_per_task_.begin(), instrumentation_ns_per_task_.end());
  if (largest_timing_sample_every_ > 0)
    poolbench[metrics::name::timing_sample_every] = largest_timing_sample_every_;
  return context;
}

std::string ResultDocument::text() const {
  // The layout nlohmann's dump(2) gives the whole document, assembled from the cached blocks.
  std::string out = "{\n  \"context\": ";
  append_indented(out, dumped(context_with_probe_cost(), 2), 2);
  out += ",\n  \"benchmarks\": [";
  bool first = true;
  for (const CaseBlock& block : cases_) {
    if (block.text.empty()) continue;
    out += first ? "\n    " : ",\n    ";
    out += block.text;
    first = false;
  }
  out += first ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

void ResultDocument::write() const {
  write_text_atomically(path_, text());
}

}  // namespace poolbench
