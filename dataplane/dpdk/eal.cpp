#include "dataplane/dpdk/eal.h"

#include <filesystem>
#include <system_error>
#include <vector>

#include "dataplane/dpdk/dpdk_compat.h"

namespace dijk::dpdk {

std::string dpdk_error_text(const std::string& what, int errnum) {
  return what + ": " + rte_strerror(errnum < 0 ? -errnum : errnum);
}

Eal::Eal(const EalOptions& options) {
  EalArgs built = build_eal_args(options);
  if (built.error) throw DpdkError("EAL options: " + *built.error);
  std::vector<char*> argv;
  for (auto& a : built.args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int rc = rte_eal_init(static_cast<int>(argv.size() - 1), argv.data());
  if (rc < 0) throw DpdkError(dpdk_error_text("rte_eal_init", rte_errno));
  runtime_dir_ = rte_eal_get_runtime_dir();
  file_prefix_ = options.file_prefix;
}

Eal::~Eal() {
  rte_eal_cleanup();
  // EAL leaves its runtime directory (and, with shared config, files sized like the memory) behind; a
  // per-instance prefix makes it ours to remove.
  std::error_code ec;
  const std::filesystem::path dir(runtime_dir_);
  if (!file_prefix_.empty() && dir.filename() == file_prefix_) std::filesystem::remove_all(dir, ec);
}

}  // namespace dijk::dpdk
