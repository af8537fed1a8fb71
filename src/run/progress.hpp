// Progress of a run on stderr: one updating line on a terminal, plain lines otherwise, nothing when quiet.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "run/plan.hpp"

namespace poolbench {

class Progress {
 public:
  Progress(const Plan& plan, bool quiet);
  void starting(const CaseSpec& spec);
  void finished(const CaseSpec& spec, double seconds, bool failed, const std::string& error_message);
  void done(std::size_t finished, std::size_t failures, const std::string& out_path, bool interrupted);

 private:
  double remaining_seconds() const;

  bool quiet_;
  bool terminal_;
  std::size_t total_;
  std::size_t started_ = 0;
  double estimated_total_;
  double estimated_done_ = 0;  // the plan's estimate of what has finished, to scale the rest by reality
  double actual_done_ = 0;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace poolbench
