// The one way poolbench prints a quantity for people (compare's tables, the report, the run summary): three
// significant digits and a unit a person reads at a glance (ns, µs, ms, s; B, KiB, MiB; k/s, M/s), so every
// table cell is short and the same number always prints the same way.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "metrics/catalogue.hpp"

namespace poolbench {

std::string format_significant(
    double value);  // three significant digits, no exponent: 0.0123, 1.23, 123, 12,300
std::string format_duration_ns(double nanoseconds);
std::string format_rate(double per_second);  // "1.23 M/s"
std::string format_bytes(double bytes);      // binary units; negative values keep their sign
std::string format_count(double value);      // grouped integer ("2,000,000"); small fractions keep decimals
std::string format_ratio(double ratio);      // "3.10x"
// Allocations per task: per task where at least one ("2.00", "83,485"), per million tasks below ("120 per
// 1M").
std::string format_allocations_per_task(double per_task);
std::string format_cores(double cores);  // "1.95"

// A duration a person types, "50ms", "250us" (or "250µs"), "1.5s", "800ns", in nanoseconds; nullopt for
// anything else (no unit, an unknown unit, a value that is not a positive finite number).
std::optional<double> parse_duration_ns(std::string_view text);

// A share a person types, "5%" or "0.05", as a fraction (0.05); nullopt for anything that is not a finite
// number (with at most one trailing '%'). Callers check the range they accept and word their own error.
std::optional<double> parse_fraction(std::string_view text);

// A value of a catalogue unit, with the formatter above that fits it.
std::string format_quantity(double value, metrics::Unit unit);

// "median (min–max)" over `samples` repetitions; just the median when there is one sample or all are equal.
// The unit is written once when both ends share it: "45.0 ms (44.0–46.0 ms)".
std::string format_range(double median, double min, double max, std::size_t samples,
                         std::string (*format)(double));

}  // namespace poolbench
