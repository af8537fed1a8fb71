// The report's header: the machine and the run, from the result file's context.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "format/units.hpp"
#include "report/report_parts.hpp"

namespace poolbench::report {
namespace {

std::string scalar_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer() || value.is_number_unsigned()) return value.dump();
  if (value.is_number_float()) return fmt::format("{:g}", value.get<double>());
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  return value.dump();
}

}  // namespace

void fill_header(const ResultFile& file, Report& report) {
  const nlohmann::json& context = file.context;
  const nlohmann::json empty = nlohmann::json::object();
  const nlohmann::json& pool =
      context.is_object() && context.contains("poolbench") && context["poolbench"].is_object()
          ? context["poolbench"]
          : empty;
  const auto get = [](const nlohmann::json& object, const char* key) -> std::optional<std::string> {
    if (!object.is_object() || !object.contains(key) || object[key].is_null()) return std::nullopt;
    return scalar_text(object[key]);
  };
  const auto add = [&](const char* label, std::optional<std::string> value) {
    report.header.emplace_back(label, value.value_or("not recorded"));
  };
  std::set<std::string> shown;
  const auto from_pool = [&](const char* key) {
    shown.insert(key);
    return get(pool, key);
  };

  std::string machine = get(context, "host_name").value_or("host not recorded");
  if (auto cpu = from_pool("cpu_model")) machine += ", " + *cpu;
  if (auto cores = from_pool("cores")) machine += ", " + *cores + " cores";
  if (auto cpus = get(context, "num_cpus")) machine += ", " + *cpus + " CPUs";
  if (auto mhz = get(context, "mhz_per_cpu")) machine += " at " + *mhz + " MHz";
  add("Machine", machine);
  if (context.is_object() && context.contains("caches") && context["caches"].is_array()) {
    std::vector<std::string> caches;
    for (const auto& cache : context["caches"]) {
      if (!cache.is_object()) continue;
      const double size = cache.value("size", 0.0);
      caches.push_back(fmt::format("L{} {} {} (shared by {})", cache.value("level", 0),
                                   cache.value("type", "?"), format_bytes(size),
                                   cache.value("num_sharing", 0)));
    }
    if (!caches.empty()) add("Caches", fmt::format("{}", fmt::join(caches, ", ")));
  }
  add("Kernel", from_pool("kernel"));
  add("Compiler", from_pool("compiler"));
  std::string build = from_pool("build_type").value_or("not recorded");
  if (auto library = get(context, "library_build_type"))
    build += " (Google Benchmark library: " + *library + ")";
  add("Build", build);
  add("Allocator", from_pool("allocator"));
  add("Date", from_pool("date") ? get(pool, "date") : get(context, "date"));
  add("Commit", from_pool("git_commit"));
  add("poolbench version", from_pool("version"));
  add("Command line", from_pool("command_line"));
  if (auto load = context.is_object() && context.contains("load_avg") ? std::optional(context["load_avg"])
                                                                      : std::nullopt;
      load && load->is_array() && !load->empty()) {
    std::vector<std::string> values;
    for (const auto& value : *load) values.push_back(scalar_text(value));
    add("Load average at start", fmt::format("{}", fmt::join(values, ", ")));
  }
  for (auto it = pool.begin(); it != pool.end(); ++it) {
    if (shown.count(it.key()) || it.value().is_structured() || it.value().is_null()) continue;
    report.run_details.emplace_back(it.key(), scalar_text(it.value()));
  }
}

}  // namespace poolbench::report
