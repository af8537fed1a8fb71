#include "merge/merge.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "errors.hpp"
#include "result/result_document.hpp"

namespace poolbench {
namespace {

const nlohmann::json& poolbench_context(const ResultFile& file) {
  static const nlohmann::json none = nlohmann::json::object();
  return file.is_poolbench() ? file.context["poolbench"] : none;
}

// A field of the context as text, for comparing and for messages ("" where the file does not say).
std::string field_text(const nlohmann::json& object, const nlohmann::json::json_pointer& pointer) {
  if (!object.contains(pointer)) return {};
  const nlohmann::json& value = object.at(pointer);
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// What must be equal in every file: the build, the metric catalogue, the plan (and how it was measured).
struct Identity {
  const char* what;  // for the message: "builds", "metric catalogues", "plans"
  std::vector<const char*> fields;
};
const std::vector<Identity> identities = {
    {"builds", {"/version", "/git_commit", "/compiler", "/build_type", "/sanitizer", "/allocator"}},
    {"metric catalogues", {"/metrics/version"}},
    {"plans", {"/plan/digest", "/plan/cases", "/warmup_tasks", "/probe"}},
};

bool same_coordinates(const CaseInfo& a, const CaseInfo& b) {
  return a.strategy == b.strategy && a.workload == b.workload && a.tasks == b.tasks &&
         a.workers == b.workers && a.producers == b.producers && a.params() == b.params();
}

std::optional<std::pair<std::size_t, std::size_t>> shard_of(const ResultFile& file) {
  const nlohmann::json& context = poolbench_context(file);
  const auto index = context.find("shard");
  if (index == context.end() || !index->is_object()) return std::nullopt;
  const auto shard_index = index->value("index", std::size_t{0});
  const auto shard_count = index->value("count", std::size_t{0});
  if (shard_index == 0 || shard_count == 0) return std::nullopt;
  return std::make_pair(shard_index, shard_count);
}

// Machine facts of one host, from the context of a file that ran there.
nlohmann::ordered_json host_facts(const ResultFile& file, const std::string& host) {
  nlohmann::ordered_json facts;
  facts["host_name"] = host;
  for (const char* key : {"num_cpus", "mhz_per_cpu"})
    if (auto found = file.context.find(key); found != file.context.end()) facts[key] = *found;
  const nlohmann::json& context = poolbench_context(file);
  for (const char* key : {"cores", "cpu_model", "kernel"})
    if (auto found = context.find(key); found != context.end()) facts[key] = *found;
  return facts;
}

// Refuses (or, allowed, records) files whose build, catalogue or plan differ from the first file's.
std::vector<std::string> check_identities(const std::vector<ResultFile>& files, bool allow_mixed) {
  std::vector<std::string> mixed;
  for (const Identity& identity : identities) {
    bool differs = false;
    for (const char* field : identity.fields) {
      const nlohmann::json::json_pointer pointer(field);
      const std::string first = field_text(poolbench_context(files.front()), pointer);
      for (std::size_t index = 1; index < files.size() && !differs; ++index) {
        const std::string other = field_text(poolbench_context(files[index]), pointer);
        if (other == first) continue;
        differs = true;
        if (!allow_mixed)
          throw UsageError(fmt::format(
              "{} and {} come from different {} ({} '{}' and '{}'); --allow-mixed merges them anyway",
              files.front().path, files[index].path, identity.what, std::string(field).substr(1),
              first.empty() ? "(not recorded)" : first, other.empty() ? "(not recorded)" : other));
      }
    }
    if (differs) mixed.emplace_back(identity.what);
  }
  return mixed;
}

}  // namespace

MergeResult merge_results(const std::vector<ResultFile>& files, const MergeOptions& options) {
  if (files.empty()) throw UsageError("no result file to merge");
  std::set<std::string> paths;
  for (const ResultFile& file : files) {
    // Google Benchmark's own files record no build, plan or case: nothing to check them by.
    if (!file.is_poolbench())
      throw UsageError(
          fmt::format("{}: not written by `poolbench run` (no context.poolbench): merge combines "
                      "poolbench's result files",
                      file.path));
    if (!paths.insert(file.path).second)
      throw UsageError(fmt::format("{} is given twice (its repetitions would count twice)", file.path));
  }
  const std::vector<std::string> mixed = check_identities(files, options.allow_mixed);

  MergeResult merged;
  struct Group {
    MergedCase merged;
    std::int64_t family_index = 0;
    std::size_t first_seen = 0;
    const ResultFile* file = nullptr;  // of its first entry, for messages
  };
  std::map<std::pair<std::string, std::string>, Group> groups;                // by (case name, host)
  std::map<std::string, std::pair<CaseInfo, const ResultFile*>> coordinates;  // by case name
  std::vector<std::string> hosts;
  std::map<std::string, const ResultFile*> host_files;
  nlohmann::ordered_json sources = nlohmann::ordered_json::array();

  for (const ResultFile& file : files) {
    for (const ResultEntry& entry : file.entries) {
      if (entry.is_aggregate()) continue;  // recomputed over the merged repetitions
      std::string host = file.host_of(entry);
      if (options.host && host != *options.host) continue;
      if (entry.case_info) {
        auto [found, added] = coordinates.try_emplace(entry.run_name, *entry.case_info, &file);
        if (!added && !same_coordinates(found->second.first, *entry.case_info))
          throw UsageError(fmt::format("{} and {} name two different cases '{}'", found->second.second->path,
                                       file.path, entry.run_name));
      }
      if (host_files.try_emplace(host, &file).second) hosts.push_back(host);
      auto [found, added] = groups.try_emplace(std::make_pair(entry.run_name, host));
      Group& group = found->second;
      if (added) {
        group.merged.name = entry.run_name;
        group.merged.host = host;
        group.family_index = entry.family_index;
        group.first_seen = groups.size();
        group.file = &file;
      }
      ResultEntry copy = entry;
      copy.host = std::move(host);
      group.merged.repetitions.push_back(std::move(copy));
    }
    const auto shard = shard_of(file);
    nlohmann::ordered_json source;
    source["file"] = file.path;
    source["host"] = field_text(file.context, nlohmann::json::json_pointer("/host_name"));
    source["date"] = field_text(poolbench_context(file), nlohmann::json::json_pointer("/date"));
    source["git_commit"] = field_text(poolbench_context(file), nlohmann::json::json_pointer("/git_commit"));
    if (shard) source["shard"] = fmt::format("{}/{}", shard->first, shard->second);
    if (const auto complete = file.complete()) source["complete"] = *complete;
    sources.push_back(std::move(source));
  }
  if (options.host && groups.empty())
    throw UsageError(fmt::format("--host {}: no entry of the files ran there", *options.host));

  // Completeness: every input complete, no shard missing, every case of the plan present.
  for (const ResultFile& file : files)
    if (file.complete() == std::optional<bool>(false))
      merged.notes.push_back(
          fmt::format("{} is incomplete (its run stopped before its last case)", file.path));
  std::map<std::size_t, std::set<std::size_t>> shards_present;  // by shard count
  bool has_unsharded = false;
  for (const ResultFile& file : files) {
    if (const auto shard = shard_of(file))
      shards_present[shard->second].insert(shard->first);
    else
      has_unsharded = true;
  }
  if (!has_unsharded)
    for (const auto& [count, present] : shards_present)
      for (std::size_t index = 1; index <= count; ++index)
        if (present.count(index) == 0)
          merged.notes.push_back(fmt::format("shard {}/{} is missing: no file given ran it", index, count));
  std::set<std::string> names;
  for (const auto& [key, group] : groups) names.insert(key.first);
  const nlohmann::json& first_context = poolbench_context(files.front());
  const auto plan_cases =
      first_context.contains("plan") ? first_context["plan"].value("cases", std::size_t{0}) : std::size_t{0};
  if (!options.host && mixed.empty() && plan_cases > names.size())
    merged.notes.push_back(
        fmt::format("{} of the plan's {} cases are in no file", plan_cases - names.size(), plan_cases));
  merged.complete = merged.notes.empty();

  // Plan order (the shards keep the whole plan's family_index), then the order first seen.
  std::vector<Group*> ordered;
  for (auto& [key, group] : groups) ordered.push_back(&group);
  std::stable_sort(ordered.begin(), ordered.end(), [](const Group* a, const Group* b) {
    return std::tie(a->family_index, a->first_seen) < std::tie(b->family_index, b->first_seen);
  });
  std::size_t fewest_repetitions = 0;
  for (Group* group : ordered) {
    auto& repetitions = group->merged.repetitions;
    for (std::size_t index = 0; index < repetitions.size(); ++index) {
      repetitions[index].repetition_index = static_cast<std::int64_t>(index);
      repetitions[index].repetitions = static_cast<std::int64_t>(repetitions.size());
    }
    fewest_repetitions =
        fewest_repetitions == 0 ? repetitions.size() : std::min(fewest_repetitions, repetitions.size());
    merged.cases.push_back(std::move(group->merged));
  }

  // The first file's context, made the merged file's: what it was merged from, the hosts, the counts.
  merged.context = nlohmann::ordered_json(files.front().context);
  auto& poolbench = merged.context["poolbench"];
  poolbench.erase("shard");
  poolbench["cases"] = names.size();
  // Each case's repetitions are complete by construction; completeness is the notes' (see above).
  poolbench["repetitions"] = std::max<std::size_t>(fewest_repetitions, 1);
  nlohmann::ordered_json host_list = nlohmann::ordered_json::array();
  for (const std::string& host : hosts) host_list.push_back(host_facts(*host_files.at(host), host));
  poolbench["hosts"] = std::move(host_list);
  poolbench["merged_from"] = std::move(sources);
  if (!mixed.empty()) poolbench["mixed"] = mixed;
  if (hosts.size() == 1) merged.context["host_name"] = hosts.front();
  return merged;
}

std::string merged_document_text(const MergeResult& merged) {
  ResultDocument document("", merged.context, merged.cases.size());
  for (std::size_t index = 0; index < merged.cases.size(); ++index)
    for (const ResultEntry& entry : merged.cases[index].repetitions) document.add(index, entry);
  if (!merged.complete) document.mark_incomplete();
  return document.text();
}

}  // namespace poolbench
