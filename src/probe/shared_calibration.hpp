// A workload's calibration (a constant this machine is measured for: cpu_burst's computation steps per ns,
// warm_state's regex patterns per ms of build), measured once and shared by every process of a run.
//
// Each case runs in a process of its own, and a workload that calibrated itself in each one gave each case a
// different amount of work (results/ab-check.md, stop 16, has how much warm_state's and cpu_burst's varied
// between the processes of one comparison). Two strategies compared on "the same workload" did not do the
// same work, and two repetitions of one case differed by the calibration as much as by the pool.
//
// The runner (run, ab) names one file per run in POOLBENCH_CALIBRATION_FILE for every child, unless the
// variable is already set (then the file it names is shared, across runs too). The first process to need a
// key measures it and stores it; every later one reads it, so every case and repetition of a run (and both
// sides of `poolbench ab`) does the same work. Without the variable, each process measures for itself.
#pragma once

#include <functional>
#include <string>

namespace poolbench::probe {

inline constexpr const char* calibration_file_variable = "POOLBENCH_CALIBRATION_FILE";

// The value stored under `key` in the run's calibration file, or `measure()` (stored there for the rest of
// the run when there is a file). Throws std::runtime_error when the file cannot be read or written, or is not
// a JSON object of numbers: a case must not silently do other work than its run.
double shared_calibration(const std::string& key, const std::function<double()>& measure);

// CPU time of the calling thread, what a calibration times: unlike wall time, it does not grow when another
// process takes the core, so a calibration measures the computation and not the machine's load.
double thread_cpu_seconds();

}  // namespace poolbench::probe
