#pragma once
// A block verdict as the stream stage hands it to the worker: the connection, and which segment of the
// span being processed (on_burst) carried the end of the listed file. The worker drops that segment's frame
// and the connection's frames after it; the frames before it were sent before the file was complete.
#include <cstdint>

#include "core/flow_tuple.h"

namespace dijk::ips {

struct Block {
  FlowTuple flow;             // client to server
  std::uint32_t segment = 0;  // index in the segments of the call that found it
  bool operator==(const Block&) const = default;
};

}  // namespace dijk::ips
