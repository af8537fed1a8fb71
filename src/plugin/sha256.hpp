// SHA-256 (FIPS 180-4) of a file, for the result file's record of which plugin binary produced a result.
// Small and self-contained: poolbench links no crypto library, and a digest of a few megabytes is all it
// needs.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace poolbench {

// Lower-case hex digest of `data`.
std::string sha256_hex(std::string_view data);

// Lower-case hex digest of the file's contents; throws std::runtime_error when it cannot be read.
std::string sha256_file_hex(const std::filesystem::path& path);

}  // namespace poolbench
