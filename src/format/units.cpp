// Quantities for people: three significant digits with a readable unit.
#include "format/units.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

namespace poolbench {

std::string format_significant(double value) {
  if (!std::isfinite(value)) return "n/a";
  const double magnitude = std::fabs(value);
  if (magnitude == 0) return "0";
  if (magnitude >= 1000) return format_count(value);  // thousands separated: 12,345
  if (magnitude >= 100) return fmt::format("{:.0f}", value);
  const int decimals = 2 - static_cast<int>(std::floor(std::log10(magnitude)));
  return fmt::format("{:.{}f}", value, decimals);
}

std::string format_duration_ns(double nanoseconds) {
  const double magnitude = std::fabs(nanoseconds);
  if (magnitude < 1e3) return format_significant(nanoseconds) + " ns";
  if (magnitude < 1e6) return format_significant(nanoseconds / 1e3) + " µs";
  if (magnitude < 1e9) return format_significant(nanoseconds / 1e6) + " ms";
  return format_significant(nanoseconds / 1e9) + " s";
}

std::string format_rate(double per_second) {
  const double magnitude = std::fabs(per_second);
  if (magnitude < 1e3) return format_significant(per_second) + "/s";
  if (magnitude < 1e6) return format_significant(per_second / 1e3) + " k/s";
  if (magnitude < 1e9) return format_significant(per_second / 1e6) + " M/s";
  return format_significant(per_second / 1e9) + " G/s";
}

std::string format_bytes(double bytes) {
  const double magnitude = std::fabs(bytes);
  if (magnitude < 1024) return format_significant(bytes) + " B";
  if (magnitude < 1024.0 * 1024) return format_significant(bytes / 1024) + " KiB";
  if (magnitude < 1024.0 * 1024 * 1024) return format_significant(bytes / (1024.0 * 1024)) + " MiB";
  return format_significant(bytes / (1024.0 * 1024 * 1024)) + " GiB";
}

std::string format_count(double value) {
  if (!std::isfinite(value)) return "n/a";
  const double rounded = std::round(value);
  if (std::fabs(value) < 100 && std::fabs(value - rounded) > 1e-9) return format_significant(value);
  std::string digits = fmt::format("{:.0f}", std::fabs(rounded));
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return rounded < 0 ? "-" + out : out;
}

std::string format_allocations_per_task(double per_task) {
  if (!std::isfinite(per_task)) return "n/a";
  if (per_task == 0) return "0";
  if (std::fabs(per_task) >= 1) return format_significant(per_task);
  return format_count(per_task * 1e6) + " per 1M";
}

std::string format_ratio(double ratio) {
  return format_significant(ratio) + "x";
}

std::string format_cores(double cores) {
  return format_significant(cores);
}

std::string format_range(double median, double min, double max, std::size_t samples,
                         std::string (*format)(double)) {
  if (samples < 2 || min == max) return format(median);
  std::string low = format(min);
  const std::string high = format(max);
  if (low == high) return format(median);  // differ only below the digits shown
  // The unit is what follows the number (a number holds no space; a unit may: "per 1M"); drop it from the low
  // end when the high end repeats it.
  const auto unit_of = [](const std::string& text) {
    const auto space = text.find(' ');
    return space == std::string::npos ? std::string() : text.substr(space);
  };
  if (const std::string unit = unit_of(low); !unit.empty() && unit == unit_of(high))
    low.resize(low.size() - unit.size());
  return fmt::format("{} ({}–{})", format(median), low, high);
}

std::optional<double> parse_duration_ns(std::string_view text) {
  struct Unit {
    std::string_view suffix;
    double ns;
  };
  constexpr Unit units[] = {{"ns", 1}, {"us", 1e3}, {"µs", 1e3}, {"ms", 1e6}, {"s", 1e9}};
  for (const auto& unit : units) {
    if (text.size() <= unit.suffix.size() || text.substr(text.size() - unit.suffix.size()) != unit.suffix)
      continue;
    const std::string number(text.substr(0, text.size() - unit.suffix.size()));
    if (number.find_first_not_of("0123456789.") != std::string::npos) return std::nullopt;
    char* end = nullptr;
    const double value = std::strtod(number.c_str(), &end);
    if (end != number.c_str() + number.size() || !std::isfinite(value) || !(value > 0)) return std::nullopt;
    return value * unit.ns;
  }
  return std::nullopt;
}

std::optional<double> parse_fraction(std::string_view text) {
  double scale = 1;
  if (!text.empty() && text.back() == '%') {
    text.remove_suffix(1);
    scale = 0.01;
  }
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size() || !std::isfinite(value))
    return std::nullopt;
  return value * scale;
}

std::string format_quantity(double value, metrics::Unit unit) {
  switch (unit) {
    case metrics::Unit::nanoseconds:
      return format_duration_ns(value);
    case metrics::Unit::per_second:
      return format_rate(value);
    case metrics::Unit::cores:
      return format_cores(value);
    case metrics::Unit::count:
      return format_count(value);
    case metrics::Unit::bytes:
      return format_bytes(value);
    case metrics::Unit::fraction:
      return format_significant(value * 100) + "%";
  }
  return format_significant(value);
}

}  // namespace poolbench
