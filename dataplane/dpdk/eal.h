#pragma once
// The DPDK environment, initialised once per process from EalOptions and cleaned up on destruction.
#include <stdexcept>
#include <string>

#include "dataplane/dpdk/eal_options.h"

namespace dijk::dpdk {

class DpdkError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Eal {
 public:
  explicit Eal(const EalOptions& options);  // throws DpdkError
  ~Eal();
  Eal(const Eal&) = delete;
  Eal& operator=(const Eal&) = delete;

 private:
  std::string runtime_dir_;  // /var/run/dpdk/<prefix>: removed on clean-up when it is ours
  std::string file_prefix_;
};

// "<what>: <rte_strerror(errnum)>"; errnum may be a negative return code or rte_errno.
std::string dpdk_error_text(const std::string& what, int errnum);

}  // namespace dijk::dpdk
