#pragma once
// Rows of cells as aligned columns for a terminal (`dijk-hotline hits`, `fleet`). Appliances sent the
// cells, so each is made printable (printable_text), an empty one shows as "-"; columns are two spaces
// apart, widths counted in code points.
#include <iosfwd>
#include <string>
#include <vector>

namespace dijk::hotline {

// cells[0] is the header row.
void print_text_table(std::vector<std::vector<std::string>> cells, std::ostream& out);

}  // namespace dijk::hotline
