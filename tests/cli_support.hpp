// Runs the real poolbench binary (POOLBENCH_BINARY) as a user would, capturing exit status, stdout and
// stderr.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <vector>

namespace poolbench::testing {

struct CommandResult {
  int exit_status = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A fresh directory removed at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "poolbench-test.XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs `<binary> <arguments>` through the shell (arguments are shell words), with a time limit so that a hang
// fails the test instead of CI.
inline CommandResult run_program(const std::string& binary, const std::string& arguments,
                                 int time_limit_seconds = 120) {
  TempDir scratch;
  const auto out_path = scratch / "stdout";
  const auto err_path = scratch / "stderr";
  const std::string command = "timeout -k 5 " + std::to_string(time_limit_seconds) + " " + binary + " " +
                              arguments + " >" + out_path.string() + " 2>" + err_path.string() +
                              " </dev/null";
  const int status = std::system(command.c_str());
  CommandResult result;
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = slurp(out_path);
  result.err = slurp(err_path);
  return result;
}

// The same for the poolbench binary under test (POOLBENCH_BINARY).
inline CommandResult run_poolbench(const std::string& arguments, int time_limit_seconds = 120) {
  return run_program(POOLBENCH_BINARY, arguments, time_limit_seconds);
}

// `text` as one shell word.
inline std::string quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out.append("'\\''");
    else
      out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

// The same with each argument quoted: paths and values pass through as they are.
inline CommandResult run_poolbench(const std::vector<std::string>& arguments, int time_limit_seconds = 120) {
  std::string words;
  for (const auto& argument : arguments) words.append(" ").append(quote(argument));
  return run_poolbench(words, time_limit_seconds);
}

// Runs `body` on another thread and fails (aborting the executable) if it has not finished within `limit`.
template <class Body>
void within(std::chrono::seconds limit, Body body) {
  auto done = std::async(std::launch::async, body);
  if (done.wait_for(limit) != std::future_status::ready) {
    std::fprintf(stderr, "test body did not finish within %lld s\n", static_cast<long long>(limit.count()));
    std::abort();
  }
  done.get();
}

inline std::size_t count_lines(const std::string& text) {
  std::size_t lines = 0;
  for (char c : text) lines += c == '\n' ? 1 : 0;
  return lines;
}

}  // namespace poolbench::testing
