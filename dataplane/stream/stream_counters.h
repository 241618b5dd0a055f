#pragma once
// Everything one worker's stream pipeline counts. Plain integers owned by one thread; the worker sums
// them across lcores with operator+= for the total.
#include <array>
#include <cstdint>
#include <string_view>

namespace dijk {

// Why a segment, a file or a flow's data was not processed.
enum class DropReason : std::uint8_t {
  not_http_port,    // neither port is an HTTP port: never tracked
  no_flow,          // data for an unknown flow and midstream pickup is off
  out_of_window,    // sequence number implausibly far ahead of the stream
  ooo_flow_limit,   // out-of-order store of the flow full: a gap was forced
  ooo_memory,       // global out-of-order memory cap reached: segment dropped
  after_close,      // data after FIN/RST beyond the end of the stream
  http_unparsable,  // libhtp gave up on the request side of a flow
  http_after_gap,   // request bytes after a gap libhtp could not skip
  multipart_malformed,
  image_too_large,   // image bigger than the PDQ copy cap: PDQ skipped
  image_queue_full,  // PDQ queue full: PDQ skipped
};
inline constexpr std::size_t kDropReasonCount = 11;

std::string_view drop_reason_name(DropReason r);

struct StreamCounters {
  std::uint64_t packets = 0;        // TCP segments handed to the pipeline
  std::uint64_t bytes = 0;          // TCP payload bytes handed to the pipeline
  std::uint64_t flows = 0;          // flows created
  std::uint64_t flows_closed = 0;   // flows ended by FIN/RST
  std::uint64_t flow_timeouts = 0;  // flows ended by idle timeout
  std::uint64_t evictions = 0;      // flows evicted because the table was full
  std::uint64_t duplicate_segments = 0;
  std::uint64_t out_of_order_segments = 0;
  std::uint64_t overlaps = 0;  // overlaps whose bytes differ from the first copy (flow marked)
  std::uint64_t gaps = 0;      // holes in a stream that were skipped
  std::uint64_t gap_bytes = 0;
  std::uint64_t http_requests = 0;
  std::uint64_t files = 0;  // files seen in request bodies (multipart parts and raw bodies)
  std::uint64_t bytes_hashed = 0;
  std::uint64_t truncated_files = 0;  // files with a gap or cut short: never matched
  std::uint64_t files_matched = 0;    // complete files looked up in the set
  std::uint64_t allow_listed = 0;
  std::uint64_t hits = 0;
  std::uint64_t pdq_queued = 0;
  std::uint64_t pdq_skipped = 0;
  std::array<std::uint64_t, kDropReasonCount> drops{};

  void drop(DropReason r, std::uint64_t n = 1) { drops[static_cast<std::size_t>(r)] += n; }
  std::uint64_t dropped(DropReason r) const { return drops[static_cast<std::size_t>(r)]; }
  StreamCounters& operator+=(const StreamCounters& o);

  // Visits every counter as (name, value), drops as "drop_<reason>", for summaries and metrics.
  template <typename F>
  void for_each(F&& f) const {
    f("packets", packets);
    f("bytes", bytes);
    f("flows", flows);
    f("flows_closed", flows_closed);
    f("flow_timeouts", flow_timeouts);
    f("evictions", evictions);
    f("duplicate_segments", duplicate_segments);
    f("out_of_order_segments", out_of_order_segments);
    f("overlaps", overlaps);
    f("gaps", gaps);
    f("gap_bytes", gap_bytes);
    f("http_requests", http_requests);
    f("files", files);
    f("bytes_hashed", bytes_hashed);
    f("truncated_files", truncated_files);
    f("files_matched", files_matched);
    f("allow_listed", allow_listed);
    f("hits", hits);
    f("pdq_queued", pdq_queued);
    f("pdq_skipped", pdq_skipped);
    for (std::size_t i = 0; i < kDropReasonCount; ++i) f(drop_name(i), drops[i]);
  }

 private:
  static std::string_view drop_name(std::size_t i);
};

}  // namespace dijk
