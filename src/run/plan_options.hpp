// The options that choose a plan's cases (strategies, workloads, sizes, parameters, load model, the quick
// matrix): one definition, shared by every command that runs a plan (`run`, `ab`), so that they accept the
// same matrix the same way.
#pragma once

#include <CLI/CLI.hpp>

#include "run/plan.hpp"

namespace poolbench {

// Adds -s -w -n -k -p --param --filter --arrival --rate --load --seed --scenario --quick, filling `request`.
void add_plan_options(CLI::App& command, PlanRequest& request);

}  // namespace poolbench
