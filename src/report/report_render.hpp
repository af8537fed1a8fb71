// Renderers of the report model: Markdown for a design review, JSON (the same tables as data) for tools and
// for scripts/plot.py. Both only format what report_model built; neither computes a number of its own.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "report/report_model.hpp"

namespace poolbench::report {

std::string render_markdown(const Report& report);

// The guide's own tables from this run (Markdown sections, part of render_markdown): strategy ↔ library
// mapping, memory footprint, sizing K, scheduling fairness, latency against load; "not measured" where
// absent.
std::string render_guide_tables(const Report& report);

// The footprint cases' table (report_footprint.cpp): bytes per idle worker at each K, the stack's share,
// bytes per pending task; a sentence saying how to measure them where the file has no footprint case.
std::string render_footprint_measured(const Report& report);

// The guide's "Pool Adoption Proposal" (Appendix S29) as Markdown: context, current implementation, proposed
// change, expected impact with this run's numbers, risks from the traits and failure cases, decision.
std::string render_proposal(const Report& report);

// The same document for a terminal: tables aligned in columns, columns with nothing measured left out, a
// cell's range shown only where it is wider than warn_cv of the median, markup removed.
std::string render_text(const Report& report);

// Layout ("schema": "poolbench-report/2"; /1 keyed items_per_second as tasks_per_second and had no metrics):
// metrics (the metric catalogue, from the result file where it records one), header, run_details,
// tables[].rows[].metrics{key: {median, min, max, samples}}, recommendations, submit_costs, capabilities,
// rules_of_thumb, crossovers, failed_cases, notes. Units are in the key names (_ns, _bytes, per_second);
// metrics a case did not record are absent.
nlohmann::ordered_json report_to_json(const Report& report);

}  // namespace poolbench::report
