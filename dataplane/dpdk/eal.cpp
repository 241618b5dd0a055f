#include "dataplane/dpdk/eal.h"

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
}

Eal::~Eal() {
  rte_eal_cleanup();
}

unsigned Eal::worker_lcore_count() const {
  return rte_lcore_count() - 1;
}

}  // namespace dijk::dpdk
