#include "dataplane/stream/half_stream.h"

#include <algorithm>
#include <cstring>

#include "dataplane/stream/seq.h"

namespace dijk {

void TcpHalfStream::deliver(std::span<const std::uint8_t> bytes, ReassemblyContext& ctx) {
  next_ += static_cast<std::uint32_t>(bytes.size());
  if (ctx.app != nullptr && !bytes.empty()) ctx.app->on_data(ctx.dir, bytes, ctx.time_ns);
}

void TcpHalfStream::release(const Held& h, SegmentBudget& budget) {
  stored_bytes_ -= h.bytes.size();
  budget.give(h.bytes.size() + SegmentBudget::kPerSegmentOverhead);
}

void TcpHalfStream::receive(std::uint32_t seq, std::span<const std::uint8_t> payload,
                            ReassemblyContext& ctx) {
  if (payload.empty()) return;
  // Two rounds at most: if the store is full, the hole in front of it is given up and the segment retried.
  for (int round = 0; round < 2; ++round) {
    std::int32_t off = seq::diff(seq, next_);
    if (off > 0 && static_cast<std::uint32_t>(off) > ctx.limits.max_distance) {
      ctx.counters.drop(DropReason::out_of_window);
      return;
    }
    if (off < 0) {
      // Starts before the stream position: what was delivered already wins (first copy).
      const auto behind = static_cast<std::uint64_t>(-static_cast<std::int64_t>(off));
      if (behind >= payload.size()) {
        ++ctx.counters.duplicate_segments;
        return;
      }
      payload = payload.subspan(static_cast<std::size_t>(behind));
      seq = next_;
      off = 0;
    }
    if (off == 0) {
      // In order: hand over, without a copy, everything up to the first held segment.
      std::size_t direct = payload.size();
      if (!store_.empty()) {
        direct =
            std::min<std::size_t>(direct, static_cast<std::uint32_t>(seq::diff(store_.front().seq, next_)));
      }
      deliver(payload.first(direct), ctx);
      payload = payload.subspan(direct);
      seq = next_;
      if (payload.empty()) {
        drain(ctx);
        return;
      }
    } else if (round == 0) {
      ++ctx.counters.out_of_order_segments;
    }
    if (hold(seq, payload, ctx)) {
      drain(ctx);
      return;
    }
    if (store_.empty()) break;
    // No room: the hole in front of the store will not be filled in time. Skip it and retry.
    ctx.counters.drop(DropReason::ooo_flow_limit);
    skip_hole(ctx);
  }
  ctx.counters.drop(DropReason::ooo_memory);
}

bool TcpHalfStream::hold(std::uint32_t seq, std::span<const std::uint8_t> payload, ReassemblyContext& ctx) {
  // Pieces of the new segment not covered by held segments, as offsets into payload.
  struct Piece {
    std::uint32_t begin, end;
  };
  Piece pieces[65];
  std::size_t npieces = 0;
  const auto len = static_cast<std::uint32_t>(payload.size());
  std::uint32_t cursor = 0;  // offset in payload up to which coverage is decided
  bool duplicate = true;
  for (const Held& h : store_) {
    const std::int32_t hs = seq::diff(h.seq, seq);
    const std::int64_t he = static_cast<std::int64_t>(hs) + static_cast<std::int64_t>(h.bytes.size());
    if (he <= static_cast<std::int64_t>(cursor)) continue;
    if (hs >= static_cast<std::int32_t>(len)) break;
    // Overlap of [cursor, len) with [hs, he).
    const std::uint32_t ob = static_cast<std::uint32_t>(std::max<std::int64_t>(hs, cursor));
    const std::uint32_t oe = static_cast<std::uint32_t>(std::min<std::int64_t>(he, len));
    if (ob > cursor) {
      if (npieces == std::size(pieces)) return false;
      pieces[npieces++] = {cursor, ob};
      duplicate = false;
    }
    if (oe > ob && std::memcmp(payload.data() + ob, h.bytes.data() + (static_cast<std::int64_t>(ob) - hs),
                               oe - ob) != 0) {
      ++ctx.counters.overlaps;
      ctx.overlap_conflict = true;
    }
    cursor = oe;
    if (cursor >= len) break;
  }
  if (cursor < len) {
    if (npieces == std::size(pieces)) return false;
    pieces[npieces++] = {cursor, len};
    duplicate = false;
  }
  if (duplicate) {
    ++ctx.counters.duplicate_segments;
    return true;
  }
  std::uint64_t new_bytes = 0;
  for (std::size_t i = 0; i < npieces; ++i) new_bytes += pieces[i].end - pieces[i].begin;
  if (store_.size() + npieces > ctx.limits.max_segments_per_flow ||
      stored_bytes_ + new_bytes > ctx.limits.max_bytes_per_flow) {
    return false;
  }
  if (!ctx.budget.try_take(new_bytes + npieces * SegmentBudget::kPerSegmentOverhead)) return false;
  stored_bytes_ += new_bytes;
  for (std::size_t i = 0; i < npieces; ++i) {
    const std::uint32_t at = seq + pieces[i].begin;
    auto pos = std::upper_bound(store_.begin(), store_.end(), at, [this](std::uint32_t s, const Held& h) {
      return seq::diff(s, next_) < seq::diff(h.seq, next_);
    });
    store_.insert(pos, Held{at, std::vector<std::uint8_t>(payload.begin() + pieces[i].begin,
                                                          payload.begin() + pieces[i].end)});
  }
  return true;
}

void TcpHalfStream::drain(ReassemblyContext& ctx) {
  std::size_t done = 0;
  for (; done < store_.size(); ++done) {
    Held& h = store_[done];
    const std::int32_t d = seq::diff(h.seq, next_);
    if (d > 0) break;
    const auto skip = static_cast<std::uint64_t>(-static_cast<std::int64_t>(d));
    if (skip < h.bytes.size()) deliver(std::span<const std::uint8_t>(h.bytes).subspan(skip), ctx);
    release(h, ctx.budget);
  }
  store_.erase(store_.begin(), store_.begin() + static_cast<std::ptrdiff_t>(done));
}

void TcpHalfStream::skip_hole(ReassemblyContext& ctx) {
  if (store_.empty()) return;
  const auto hole = static_cast<std::uint32_t>(seq::diff(store_.front().seq, next_));
  ++ctx.counters.gaps;
  ctx.counters.gap_bytes += hole;
  if (ctx.app != nullptr) ctx.app->on_gap(ctx.dir, hole, ctx.time_ns);
  next_ = store_.front().seq;
  drain(ctx);
}

void TcpHalfStream::flush(ReassemblyContext& ctx) {
  while (!store_.empty()) skip_hole(ctx);
  if (fin_seen_ && seq::lt(next_, fin_seq_)) {
    const auto hole = static_cast<std::uint32_t>(seq::diff(fin_seq_, next_));
    ++ctx.counters.gaps;
    ctx.counters.gap_bytes += hole;
    if (ctx.app != nullptr) ctx.app->on_gap(ctx.dir, hole, ctx.time_ns);
    next_ = fin_seq_;
  }
}

void TcpHalfStream::discard(SegmentBudget& budget) {
  for (const Held& h : store_) release(h, budget);
  std::vector<Held>().swap(store_);  // a bypassed flow lives on: keep none of its memory
}

}  // namespace dijk
