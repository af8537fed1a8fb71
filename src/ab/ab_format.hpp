// What `poolbench ab` prints on stdout: the summary (counts, then every case that is not "same"), then, in
// text and Markdown, the table of every case; JSON is ab.json's document. The Markdown summary
// (`--summary`) lists only the cases that are not "same" and stays under a pull-request comment's limit.
#pragma once

#include <string>

#include "ab/ab_run.hpp"

namespace poolbench::ab {

std::string format_text(const Settings& settings, const Outcome& outcome);
std::string format_markdown(const Settings& settings, const Outcome& outcome, bool summary_only);

// The exit status: 1 when a case regressed or failed on new alone (or, with strict, was undecided), else 0.
int exit_status(const Outcome& outcome, bool strict);

}  // namespace poolbench::ab
