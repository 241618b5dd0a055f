// The lane scheduler; see multibuffer_hasher.h. Runs on the thread that owns it.
#include "hashcore/digest/multibuffer/multibuffer_hasher.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace dijk::digest_lanes {

MultiBufferHasher::MultiBufferHasher(Algorithm algorithm, LaneIsa isa)
    : algorithm_(algorithm), isa_(isa), lanes_count_(lane_count(isa)) {
  if (algorithm != Algorithm::md5 && algorithm != Algorithm::sha1)
    throw std::invalid_argument("MultiBufferHasher: MD5 or SHA-1 only");
  const bool md5 = algorithm == Algorithm::md5;
  state_words_ = md5 ? 4 : 5;
  switch (isa) {
    case LaneIsa::none:
      break;
    case LaneIsa::avx2:
      kernel_ = md5 ? avx2::md5_blocks : avx2::sha1_blocks;
      break;
    case LaneIsa::avx512:
      kernel_ = md5 ? avx512::md5_blocks : avx512::sha1_blocks;
      break;
  }
  // A kernel call costs as much as the whole lane width, busy or not; below this many busy lanes the
  // remaining streams go one at a time through OpenSSL's transform. Measured here (bench_digest, 16 KiB
  // updates): one 8-lane AVX2 MD5 call costs about 3 lone blocks, a 16-lane AVX-512 call about 2.5; a
  // SHA-1 call about 7 lone blocks on either, as OpenSSL's lone SHA-1 has SHA-NI.
  if (kernel_ == nullptr)
    min_lanes_for_kernel_ = kMaxLanes + 1;
  else if (md5)
    min_lanes_for_kernel_ = 3;
  else
    min_lanes_for_kernel_ = isa == LaneIsa::avx512 ? 7 : 8;
}

MultiBufferHasher::StreamId MultiBufferHasher::open() {
  StreamId id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    id = static_cast<StreamId>(streams_.size());
    streams_.emplace_back();
  }
  Stream& s = streams_[id];
  const std::uint32_t* init = algorithm_ == Algorithm::md5 ? kMd5Init : kSha1Init;
  std::copy(init, init + state_words_, s.h);
  s.length = 0;
  s.tail_len = 0;
  s.pieces.clear();
  s.carried_used = 0;
  s.in_use = true;  // `queued` stays: a stale entry in ready_ from an abandoned stream is harmless
  return id;
}

void MultiBufferHasher::submit(StreamId id, std::span<const std::uint8_t> bytes) {
  Stream& s = streams_.at(id);
  if (!s.in_use) throw std::logic_error("MultiBufferHasher: submit to a closed stream");
  if (bytes.empty()) return;
  s.length += bytes.size();
  if (s.tail_len > 0) {
    const std::size_t take = std::min(kBlockBytes - s.tail_len, bytes.size());
    std::memcpy(s.tail + s.tail_len, bytes.data(), take);
    s.tail_len += take;
    bytes = bytes.subspan(take);
    if (s.tail_len < kBlockBytes) return;
    // The tail is a whole block now: it is queued from a copy the stream owns, as the tail buffer
    // takes the next bytes before the queue is drained.
    if (s.carried_used == s.carried.size()) s.carried.emplace_back();
    std::memcpy(s.carried[s.carried_used].data(), s.tail, kBlockBytes);
    s.pieces.push_back({nullptr, 1, static_cast<std::uint32_t>(s.carried_used++)});
    s.tail_len = 0;
  }
  const std::size_t whole = bytes.size() / kBlockBytes;
  if (whole > 0) s.pieces.push_back({bytes.data(), whole, kNotCarried});
  const std::size_t rest = bytes.size() % kBlockBytes;
  std::memcpy(s.tail, bytes.data() + whole * kBlockBytes, rest);
  s.tail_len = rest;
  if (!s.pieces.empty() && !s.queued) {
    ready_.push_back(id);
    s.queued = true;
  }
}

const std::uint8_t* MultiBufferHasher::piece_data(const Stream& s, const Piece& p) const {
  return p.carried == kNotCarried ? p.data : s.carried[p.carried].data();
}

void MultiBufferHasher::compress_one(std::uint32_t* h, const std::uint8_t* block) const {
  if (algorithm_ == Algorithm::md5)
    md5_block(h, block);
  else
    sha1_block(h, block);
}

// Puts stream `id` into lane `lane`, its chaining value into the lane's column. False if it has nothing
// queued (abandoned since it was queued).
bool MultiBufferHasher::start_lane(std::size_t lane, StreamId id) {
  Stream& s = streams_[id];
  s.queued = false;
  if (!s.in_use || s.pieces.empty()) return false;
  for (std::size_t w = 0; w < state_words_; ++w) words_.words[w][lane] = s.h[w];
  Lane& l = lanes_[lane];
  l.busy = true;
  l.stream = id;
  l.piece = 0;
  l.data = piece_data(s, s.pieces[0]);
  l.blocks_left = s.pieces[0].blocks;
  return true;
}

// The lane's column went `blocks` blocks further; on to the stream's next piece, or the stream is done.
void MultiBufferHasher::advance_lane(std::size_t lane, std::size_t blocks) {
  Lane& l = lanes_[lane];
  l.data += blocks * kBlockBytes;
  l.blocks_left -= blocks;
  if (l.blocks_left > 0) return;
  Stream& s = streams_[l.stream];
  if (++l.piece < s.pieces.size()) {
    l.data = piece_data(s, s.pieces[l.piece]);
    l.blocks_left = s.pieces[l.piece].blocks;
    return;
  }
  park_lane(lane);
}

// The stream has no more queued blocks: its chaining value goes back from the lane's column.
void MultiBufferHasher::park_lane(std::size_t lane) {
  Lane& l = lanes_[lane];
  Stream& s = streams_[l.stream];
  for (std::size_t w = 0; w < state_words_; ++w) s.h[w] = words_.words[w][lane];
  s.pieces.clear();
  s.carried_used = 0;
  l.busy = false;
}

void MultiBufferHasher::finish_lane_alone(std::size_t lane) {
  Lane& l = lanes_[lane];
  std::uint32_t h[5];
  for (std::size_t w = 0; w < state_words_; ++w) h[w] = words_.words[w][lane];
  while (l.busy) {
    compress_one(h, l.data);
    for (std::size_t w = 0; w < state_words_; ++w) words_.words[w][lane] = h[w];
    advance_lane(lane, 1);
  }
}

void MultiBufferHasher::drain() {
  std::size_t next_ready = 0;
  for (;;) {
    std::size_t busy = 0;
    for (std::size_t lane = 0; lane < lanes_count_; ++lane) {
      while (!lanes_[lane].busy && next_ready < ready_.size()) start_lane(lane, ready_[next_ready++]);
      if (lanes_[lane].busy) ++busy;
    }
    if (busy == 0) break;
    if (busy < min_lanes_for_kernel_) {  // nothing more is queued: the last few streams one at a time
      for (std::size_t lane = 0; lane < lanes_count_; ++lane)
        if (lanes_[lane].busy) finish_lane_alone(lane);
      continue;
    }
    // Every lane takes the same number of blocks: as many as the shortest busy lane has left. An idle
    // lane reads a busy lane's bytes; its column is not any stream's.
    std::size_t blocks = ~std::size_t{0};
    const std::uint8_t* some_data = nullptr;
    for (std::size_t lane = 0; lane < lanes_count_; ++lane) {
      if (!lanes_[lane].busy) continue;
      blocks = std::min(blocks, lanes_[lane].blocks_left);
      some_data = lanes_[lane].data;
    }
    const std::uint8_t* data[kMaxLanes];
    for (std::size_t lane = 0; lane < lanes_count_; ++lane)
      data[lane] = lanes_[lane].busy ? lanes_[lane].data : some_data;
    kernel_(words_, data, blocks);
    for (std::size_t lane = 0; lane < lanes_count_; ++lane)
      if (lanes_[lane].busy) advance_lane(lane, blocks);
  }
  ready_.clear();
}

Digest MultiBufferHasher::finish(StreamId id) {
  Stream& s = streams_.at(id);
  if (!s.in_use) throw std::logic_error("MultiBufferHasher: finish of a closed stream");
  if (!s.pieces.empty()) drain();
  // Padding (RFC 1321 3.1-3.2, FIPS 180-4 5.1.1): a 1 bit, zeros up to 56 bytes into a block, then the
  // length in bits as 64 bits: little-endian for MD5, big-endian for SHA-1.
  const bool md5 = algorithm_ == Algorithm::md5;
  std::uint8_t block[kBlockBytes];
  std::memcpy(block, s.tail, s.tail_len);
  block[s.tail_len] = 0x80;
  std::size_t used = s.tail_len + 1;
  if (used > kBlockBytes - 8) {
    std::memset(block + used, 0, kBlockBytes - used);
    compress_one(s.h, block);
    used = 0;
  }
  std::memset(block + used, 0, kBlockBytes - 8 - used);
  const std::uint64_t bits = s.length * 8;
  for (unsigned i = 0; i < 8; ++i) {
    const unsigned shift = md5 ? 8 * i : 8 * (7 - i);
    block[kBlockBytes - 8 + i] = static_cast<std::uint8_t>(bits >> shift);
  }
  compress_one(s.h, block);

  Digest d;
  d.algorithm = algorithm_;
  for (std::size_t w = 0; w < state_words_; ++w) {
    for (unsigned i = 0; i < 4; ++i) {
      const unsigned shift = md5 ? 8 * i : 8 * (3 - i);
      d.bytes[4 * w + i] = static_cast<std::uint8_t>(s.h[w] >> shift);
    }
  }
  release(id);
  return d;
}

void MultiBufferHasher::abandon(StreamId id) {
  if (id >= streams_.size() || !streams_[id].in_use) return;
  release(id);
}

void MultiBufferHasher::release(StreamId id) {
  Stream& s = streams_[id];
  s.in_use = false;
  s.pieces.clear();
  s.carried_used = 0;
  free_.push_back(id);
}

}  // namespace dijk::digest_lanes
