// A side of an A/B comparison: what runs the children of one side. BASE or NEW is given as a poolbench
// binary, a build folder holding one, or a plugin file (then this poolbench runs that side's children with
// the plugin loaded), plus environment settings (`--base-env`, `--new-env`).
#pragma once

#include <string>
#include <vector>

namespace poolbench::ab {

struct Side {
  std::string label;                 // "base" or "new"
  std::string given;                 // as the user wrote it
  std::string executable;            // the poolbench binary the side's children run
  std::vector<std::string> plugins;  // loaded by the side's children (the shared --plugin ones, then its own)
  std::vector<std::string> environment;  // NAME=VALUE settings of the side's children
};

// Resolves `given` into a Side. `self` is this poolbench (used for a plugin side), `shared_plugins` the
// --plugin files both sides load. Throws UsageError naming the side when `given` is none of the three, or a
// setting is not NAME=VALUE.
Side resolve_side(const std::string& label, const std::string& given, const std::string& self,
                  const std::vector<std::string>& shared_plugins,
                  const std::vector<std::string>& environment);

}  // namespace poolbench::ab
