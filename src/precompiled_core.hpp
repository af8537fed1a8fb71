// The library and standard headers most of poolbench_core's sources include, compiled once per build
// (CMakeLists.txt, target_precompile_headers): a core source preprocesses to about 150,000 lines, most of
// them nlohmann/json, fmt and the standard library, and parsing them was 40-70% of each file's compile time.
// Library and standard headers only: a project header here would make every source recompile whenever it
// changes. Each source still includes what it uses; this file only makes that cheaper.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
