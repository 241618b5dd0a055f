#include "dataplane/catalog/inode_paths.h"

#include <dirent.h>
#include <sys/stat.h>

#include <unordered_set>

namespace dijk::catalog {
namespace {

CatalogKey key_of(const struct stat& st) {
  return {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
}

class Search {
 public:
  Search(const std::set<CatalogKey>& wanted, PathSearch& out) : wanted_(wanted), out_(out) {
    for (const auto& k : wanted) inodes_.insert(k.inode);
  }

  bool done() const { return out_.found.size() == wanted_.size(); }

  void root(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
      directory(path, st);
    } else {
      consider(path, st);
    }
  }

 private:
  void consider(const std::string& path, const struct stat& st) {
    if (!S_ISREG(st.st_mode)) return;
    const CatalogKey k = key_of(st);
    if (wanted_.count(k) != 0) out_.found.emplace(k, path);
  }

  void directory(const std::string& path, const struct stat& st) {
    if (!seen_.insert(key_of(st)).second) return;
    ++out_.directories;
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) return;
    const std::string prefix = path.back() == '/' ? path : path + "/";
    std::vector<std::string> subdirectories;
    while (const dirent* e = ::readdir(dir)) {
      const std::string_view name = e->d_name;
      if (name == "." || name == "..") continue;
      const bool maybe_dir = e->d_type == DT_DIR || e->d_type == DT_UNKNOWN;
      const bool maybe_wanted =
          inodes_.count(e->d_ino) != 0 || e->d_type == DT_LNK || e->d_type == DT_UNKNOWN;
      if (!maybe_dir && !maybe_wanted) continue;  // the common case: no stat at all
      const std::string child = prefix + std::string(name);
      struct stat lst {};
      if (::lstat(child.c_str(), &lst) != 0) continue;
      if (S_ISDIR(lst.st_mode)) {
        subdirectories.push_back(child);
      } else if (S_ISLNK(lst.st_mode)) {
        struct stat target {};
        if (::stat(child.c_str(), &target) == 0) consider(child, target);
      } else {
        consider(child, lst);
      }
      if (done()) break;
    }
    ::closedir(dir);  // before descending: a deep tree must not hold a descriptor per level
    for (const auto& d : subdirectories) {
      if (done()) return;
      struct stat st_child {};
      if (::lstat(d.c_str(), &st_child) == 0 && S_ISDIR(st_child.st_mode)) directory(d, st_child);
    }
  }

  const std::set<CatalogKey>& wanted_;
  PathSearch& out_;
  std::unordered_set<std::uint64_t> inodes_;
  std::set<CatalogKey> seen_;  // directories entered (bind mounts can show one twice)
};

}  // namespace

PathSearch find_paths(const std::vector<std::string>& roots, const std::set<CatalogKey>& wanted) {
  PathSearch out;
  if (wanted.empty()) return out;
  Search search(wanted, out);
  for (const auto& r : roots) {
    if (search.done()) break;
    search.root(r);
  }
  for (const auto& k : wanted)
    if (out.found.count(k) == 0) out.missing.insert(k);
  return out;
}

}  // namespace dijk::catalog
