// The headers nearly every test includes, compiled once per build for all test binaries (CMakeLists.txt,
// target_precompile_headers). Library and standard headers only: a project header here would make every test
// recompile whenever it changes. Each test still includes what it uses; this file only makes that cheaper.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
