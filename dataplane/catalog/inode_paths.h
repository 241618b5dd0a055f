#pragma once
// From (device, inode) back to a path, for a retro-hunt's candidates: the catalog keeps no paths (they
// would double its size), so the trees it covers are walked once, reading only directories (getdents
// gives each name's inode without a stat), until every candidate is named. Costs a walk of the trees,
// paid only when a set version's additions name stored files.
//
// Directories reached through symbolic links are not entered (a loop could never end); a link to a file
// is followed. A file with several hard links is named by the first one met.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "dataplane/catalog/catalog_record.h"

namespace dijk::catalog {

struct PathSearch {
  std::map<CatalogKey, std::string> found;
  std::set<CatalogKey> missing;  // gone since they were catalogued, or outside the roots
  std::uint64_t directories = 0;
};

PathSearch find_paths(const std::vector<std::string>& roots, const std::set<CatalogKey>& wanted);

}  // namespace dijk::catalog
