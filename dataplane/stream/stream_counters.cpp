#include "dataplane/stream/stream_counters.h"

namespace dijk {

std::string_view drop_reason_name(DropReason r) {
  switch (r) {
    case DropReason::not_http_port:
      return "not_http_port";
    case DropReason::no_flow:
      return "no_flow";
    case DropReason::out_of_window:
      return "out_of_window";
    case DropReason::ooo_flow_limit:
      return "ooo_flow_limit";
    case DropReason::ooo_memory:
      return "ooo_memory";
    case DropReason::after_close:
      return "after_close";
    case DropReason::http_unparsable:
      return "http_unparsable";
    case DropReason::http_after_gap:
      return "http_after_gap";
    case DropReason::multipart_malformed:
      return "multipart_malformed";
    case DropReason::image_too_large:
      return "image_too_large";
    case DropReason::image_queue_full:
      return "image_queue_full";
  }
  return "unknown";
}

std::string_view StreamCounters::drop_name(std::size_t i) {
  static constexpr std::string_view kNames[kDropReasonCount] = {
      "drop_not_http_port",       "drop_no_flow",         "drop_out_of_window",   "drop_ooo_flow_limit",
      "drop_ooo_memory",          "drop_after_close",     "drop_http_unparsable", "drop_http_after_gap",
      "drop_multipart_malformed", "drop_image_too_large", "drop_image_queue_full"};
  return kNames[i];
}

StreamCounters& StreamCounters::operator+=(const StreamCounters& o) {
  packets += o.packets;
  bytes += o.bytes;
  flows += o.flows;
  flows_closed += o.flows_closed;
  flow_timeouts += o.flow_timeouts;
  evictions += o.evictions;
  duplicate_segments += o.duplicate_segments;
  out_of_order_segments += o.out_of_order_segments;
  overlaps += o.overlaps;
  gaps += o.gaps;
  gap_bytes += o.gap_bytes;
  http_requests += o.http_requests;
  files += o.files;
  bytes_hashed += o.bytes_hashed;
  truncated_files += o.truncated_files;
  files_matched += o.files_matched;
  allow_listed += o.allow_listed;
  hits += o.hits;
  pdq_queued += o.pdq_queued;
  pdq_skipped += o.pdq_skipped;
  for (std::size_t i = 0; i < kDropReasonCount; ++i) drops[i] += o.drops[i];
  return *this;
}

}  // namespace dijk
