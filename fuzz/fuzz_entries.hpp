// The fuzz targets' entry functions: each takes arbitrary bytes and drives one of poolbench's inputs the way
// the program does. Each returns normally for every input: what the program reports as bad input (the error
// types it catches and prints as one line) is caught here; anything else that escapes — an exception the
// program would not catch, a crash, a sanitizer report — is a finding.
//
// Each returns whether the input was accepted (went all the way through rather than being rejected as bad
// input), so the regression test can check that the seed corpus exercises more than the rejection paths.
//
// The same functions run in two places: libFuzzer binaries (POOLBENCH_FUZZ, clang; libfuzzer_main.cpp) and
// tests/fuzz_regression_test.cpp, which feeds them every file of fuzz/corpus/ and fuzz/regressions/ in the
// ordinary build, so a crasher stays tested without clang.
#pragma once

#include <string_view>

namespace poolbench::fuzz {

// A result file's text through parse_result_document, then what the run and compare do with what it read:
// repetitions and aggregates of every case, and each entry written back and read again (the writer must
// never write what the reader rejects).
bool result_reader(std::string_view data);

// Two result files, separated by the first NUL byte (none: the document against itself), through the
// comparison under the default and the CI profile, and the text, Markdown and JSON formatters.
bool compare(std::string_view data);

// A result file through the report model and both renderers (Markdown, JSON as the command writes it).
bool report(std::string_view data);

// A command line, one argument per line, parsed as `poolbench ARGS...` with every subcommand's options and
// nothing run.
bool command_line(std::string_view data);

}  // namespace poolbench::fuzz
