// Markdown for a terminal: the same document as plain text, tables aligned in columns (numbers to the right),
// markup removed, paragraphs wrapped. For `report --format text`, which a person reads in a shell where a
// Markdown table of "median (min–max)" cells is unreadable.
#pragma once

#include <cstddef>
#include <string>

namespace poolbench {

// Columns whose every body cell is `empty_cell` are left out (a terminal has no room for columns that say
// nothing). Paragraphs and list items wrap at `width` columns; tables do not (a wrapped row is unreadable).
std::string markdown_to_terminal(const std::string& markdown, const std::string& empty_cell = "—",
                                 std::size_t width = 100);

// Columns a string takes in a terminal: its UTF-8 code points (every character the report prints is one
// column wide).
std::size_t display_width(const std::string& text);

}  // namespace poolbench
