#pragma once
// Many MD5 or SHA-1 streams hashed side by side in the lanes of the vector unit. Streams submit bytes as
// they come; whole 64-byte blocks are queued (pointing into the caller's bytes, no copy), a partial tail
// is kept per stream until the next bytes complete it, and drain() runs the queued blocks of up to 8 or 16
// streams at once through the lane kernels. finish() pads the stream per its specification and returns
// the digest. One per thread (it owns no thread and takes no lock); the scheduler of the lanes.
//
// Contract with the caller: bytes given to submit() must stay valid and unchanged until the next drain()
// or finish() (of any stream: finish drains everything queued).
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "hashcore/digest/algorithm.h"
#include "hashcore/digest/multibuffer/lane_isa.h"
#include "hashcore/digest/multibuffer/lane_kernels.h"

namespace dijk::digest_lanes {

class MultiBufferHasher {
 public:
  using StreamId = std::uint32_t;

  // `algorithm` is md5 or sha1. With LaneIsa::none every block is compressed one stream at a time in
  // plain C (the scheduler without the vector unit: a reference for tests).
  MultiBufferHasher(Algorithm algorithm, LaneIsa isa);

  Algorithm algorithm() const { return algorithm_; }
  LaneIsa isa() const { return isa_; }

  // A new, empty stream. Ids of closed streams are reused; storage is kept (no allocation once warm).
  StreamId open();
  void submit(StreamId id, std::span<const std::uint8_t> bytes);
  // Hashes every block queued so far, in the lanes.
  void drain();
  // The stream's digest (after draining); the stream is closed.
  Digest finish(StreamId id);
  // Closes the stream without a digest (a file that failed): its queued blocks are dropped.
  void abandon(StreamId id);

  std::size_t open_streams() const { return streams_.size() - free_.size(); }

 private:
  static constexpr std::uint32_t kNotCarried = ~std::uint32_t{0};
  // A run of whole blocks of one stream: in the caller's bytes, or one block of the stream's own
  // `carried` blocks (a tail completed by the next bytes).
  struct Piece {
    const std::uint8_t* data;
    std::size_t blocks;
    std::uint32_t carried;
  };
  struct Stream {
    std::uint32_t h[5]{};
    std::uint64_t length = 0;
    std::uint8_t tail[kBlockBytes]{};
    std::size_t tail_len = 0;
    std::vector<Piece> pieces;
    std::vector<std::array<std::uint8_t, kBlockBytes>> carried;
    std::size_t carried_used = 0;
    bool in_use = false;
    bool queued = false;  // in ready_ (at most once)
  };
  struct Lane {
    bool busy = false;
    StreamId stream = 0;
    std::size_t piece = 0;  // index into the stream's pieces
    const std::uint8_t* data = nullptr;
    std::size_t blocks_left = 0;
  };

  const std::uint8_t* piece_data(const Stream& s, const Piece& p) const;
  bool start_lane(std::size_t lane, StreamId id);
  void advance_lane(std::size_t lane, std::size_t blocks);
  void park_lane(std::size_t lane);
  void finish_lane_alone(std::size_t lane);
  void compress_one(std::uint32_t* h, const std::uint8_t* block) const;
  void release(StreamId id);

  Algorithm algorithm_;
  LaneIsa isa_;
  std::size_t lanes_count_;
  std::size_t min_lanes_for_kernel_;  // fewer busy lanes than this: one stream at a time is faster
  LaneBlocksFn kernel_ = nullptr;
  std::size_t state_words_;
  LaneWords words_{};
  std::array<Lane, kMaxLanes> lanes_{};
  std::vector<Stream> streams_;
  std::vector<StreamId> free_;
  std::vector<StreamId> ready_;  // streams with queued blocks, in submit order
};

}  // namespace dijk::digest_lanes
