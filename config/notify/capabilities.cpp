#include "config/notify/capabilities.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dijk::sd {
namespace {

// glibc has no wrapper for capget/capset (libcap does); the raw system calls are small enough.
bool get_caps(__user_cap_data_struct (&data)[2]) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  return syscall(SYS_capget, &header, data) == 0;
}

}  // namespace

std::string keep_only_capabilities(std::initializer_list<int> keep) {
  __user_cap_data_struct data[2]{};
  if (!get_caps(data)) return std::string("capget: ") + std::strerror(errno);
  std::uint32_t mask[2] = {0, 0};
  for (const int cap : keep) {
    if (cap < 0 || cap >= 64) return "capability number out of range";
    mask[cap / 32] |= 1u << (cap % 32);
  }
  // Ambient capabilities would come back on exec; clear them first (no-op on kernels without them).
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  for (int i = 0; i < 2; ++i) {
    data[i].permitted &= mask[i];
    data[i].effective &= mask[i];
    data[i].inheritable = 0;
  }
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  if (syscall(SYS_capset, &header, data) != 0) return std::string("capset: ") + std::strerror(errno);
  return "";
}

std::uint64_t effective_capabilities() {
  __user_cap_data_struct data[2]{};
  if (!get_caps(data)) return 0;
  return (static_cast<std::uint64_t>(data[1].effective) << 32) | data[0].effective;
}

}  // namespace dijk::sd
