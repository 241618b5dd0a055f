// Capabilities kept only while needed: dijkd starts with CAP_NET_RAW, CAP_IPC_LOCK and CAP_SYS_RAWIO
// (dijkd.service grants them) so DPDK can map hugepages and open the ports; once the EAL is up it keeps only
// what the running dataplane still uses and gives up the rest for good (permitted, effective, inheritable
// and ambient sets).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

namespace dijk::sd {

// Keeps exactly `keep` (CAP_* numbers from <linux/capability.h>) and drops every other capability.
// Returns an error message, or "" on success.
std::string keep_only_capabilities(std::initializer_list<int> keep);

// The effective set as a bit mask (bit n = capability n), for logs and tests.
std::uint64_t effective_capabilities();

}  // namespace dijk::sd
