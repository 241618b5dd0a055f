#pragma once
// One log line on stderr, written with a single write(2). dijkd and dijk-control share one stderr (a
// journal stream, an O_APPEND file) and run several threads each: a line streamed piece by piece through
// std::cerr can interleave with another writer's mid-line, and then a grep for it fails. One write of a
// line shorter than PIPE_BUF is not split by pipes or O_APPEND files.
#include <string_view>

namespace dijk {

// Writes "<program>: <line>\n". Never throws; a full or closed stderr loses the line (logging must not
// stop the daemon).
void log_line(std::string_view program, std::string_view line) noexcept;

}  // namespace dijk
