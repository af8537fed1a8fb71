// Markdown to aligned terminal text: tables padded to their widest cell, markup removed, paragraphs wrapped.
#include "format/terminal_text.hpp"

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

namespace poolbench {
namespace {

// Inline markup out: **bold**, *emphasis*, `code`, <sub>label</sub> (as " [label]"), escaped pipes.
std::string plain(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 5, "<sub>") == 0) {
      out += "[";
      i += 4;
    } else if (text.compare(i, 6, "</sub>") == 0) {
      out += "]";
      i += 5;
    } else if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == '|') {
      out += '|';
      ++i;
    } else if (text[i] == '*' || text[i] == '`') {
      continue;
    } else {
      out += text[i];
    }
  }
  return out;
}

// The cells of a table line "| a | b |", split on the pipes that are not escaped.
std::vector<std::string> cells_of(const std::string& line) {
  std::vector<std::string> cells;
  std::string current;
  for (std::size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '|') {
      current += "\\|";
      ++i;
    } else if (line[i] == '|') {
      const auto begin = current.find_first_not_of(' ');
      const auto end = current.find_last_not_of(' ');
      cells.push_back(begin == std::string::npos ? std::string() : current.substr(begin, end - begin + 1));
      current.clear();
    } else {
      current += line[i];
    }
  }
  return cells;
}

bool is_separator(const std::vector<std::string>& cells) {
  return !cells.empty() && std::all_of(cells.begin(), cells.end(), [](const std::string& cell) {
    return !cell.empty() && cell.find_first_not_of("-:") == std::string::npos;
  });
}

void render_table(const std::vector<std::string>& lines, const std::string& empty_cell, std::string& out) {
  std::vector<std::vector<std::string>> rows;
  std::vector<bool> right;
  for (const auto& line : lines) {
    auto cells = cells_of(line);
    if (is_separator(cells)) {
      for (const auto& cell : cells) right.push_back(cell.back() == ':');
      continue;
    }
    rows.push_back(std::move(cells));
  }
  std::size_t columns = 0;
  for (const auto& row : rows) columns = std::max(columns, row.size());
  right.resize(columns, false);
  std::vector<bool> keep(columns, rows.size() < 2);
  for (std::size_t c = 0; c < columns; ++c)
    for (std::size_t r = 1; r < rows.size(); ++r)
      if (c < rows[r].size() && rows[r][c] != empty_cell && !rows[r][c].empty()) keep[c] = true;
  std::vector<std::size_t> widths(columns, 0);
  for (auto& row : rows) {
    row.resize(columns);
    for (std::size_t c = 0; c < columns; ++c) {
      row[c] = plain(row[c]);
      widths[c] = std::max(widths[c], display_width(row[c]));
    }
  }
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::string line;
    for (std::size_t c = 0; c < columns; ++c) {
      if (!keep[c]) continue;
      const std::string padding(widths[c] - display_width(rows[r][c]), ' ');
      if (!line.empty()) line += "  ";
      line += right[c] && r > 0 ? padding + rows[r][c] : rows[r][c] + padding;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
    if (r == 0) {
      std::size_t total = 0;
      std::size_t kept = 0;
      for (std::size_t c = 0; c < columns; ++c)
        if (keep[c]) total += widths[c] + (kept++ > 0 ? 2 : 0);
      std::string rule;
      for (std::size_t i = 0; i < total; ++i) rule += "─";
      out += rule + "\n";
    }
  }
}

void wrap(const std::string& text, const std::string& first_indent, const std::string& indent,
          std::size_t width, std::string& out) {
  std::istringstream words(text);
  std::string word;
  std::string line = first_indent;
  bool line_has_word = false;
  while (words >> word) {
    if (line_has_word && display_width(line) + 1 + display_width(word) > width) {
      out += line + "\n";
      line = indent;
      line_has_word = false;
    }
    line += (line_has_word ? " " : "") + word;
    line_has_word = true;
  }
  out += line + "\n";
}

}  // namespace

std::size_t display_width(const std::string& text) {
  return static_cast<std::size_t>(std::count_if(
      text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string markdown_to_terminal(const std::string& markdown, const std::string& empty_cell,
                                 std::size_t width) {
  std::vector<std::string> lines;
  std::istringstream in(markdown);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.rfind("|", 0) == 0) {
      std::vector<std::string> table;
      while (i < lines.size() && lines[i].rfind("|", 0) == 0) table.push_back(lines[i++]);
      --i;
      render_table(table, empty_cell, out);
    } else if (line.rfind("#", 0) == 0) {
      const std::size_t level = line.find_first_not_of('#');
      const std::string title = plain(line.substr(std::min(line.size(), level + 1)));
      out += title + "\n";
      if (level <= 2) {
        std::string rule;
        for (std::size_t k = 0; k < display_width(title); ++k) rule += level == 1 ? "═" : "─";
        out += rule + "\n";
      }
    } else if (line.rfind("- ", 0) == 0) {
      wrap(plain(line.substr(2)), "- ", "  ", width, out);
    } else if (line.rfind("   - ", 0) == 0) {
      wrap(plain(line.substr(5)), "   - ", "     ", width, out);
    } else if (line.rfind("> ", 0) == 0) {
      wrap(plain(line.substr(2)), "", "", width, out);
    } else if (line.empty()) {
      out += "\n";
    } else {
      const std::size_t indent = line.find_first_not_of(' ');
      wrap(plain(line), std::string(indent, ' '), std::string(indent, ' '), width, out);
    }
  }
  return out;
}

}  // namespace poolbench
