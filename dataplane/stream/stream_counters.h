#pragma once
// Everything one worker's stream pipeline counts. Plain integers owned by one thread; the worker sums
// them across lcores with operator+= for the total. Each counter is declared once, with what it counts,
// in the X-macro lists below (one list a layer: TCP, HTTP, multipart, match); the fields, the sum and
// the (name, value) walk that summaries and metrics use are all generated from them.
#include <array>
#include <cstdint>
#include <string_view>

namespace dijk {

// X(name, help): TCP reassembly.
#define DIJK_TCP_COUNTERS(X)                                                           \
  X(packets, "TCP segments handed to the pipeline")                                    \
  X(bytes, "TCP payload bytes handed to the pipeline")                                 \
  X(flows, "flows created")                                                            \
  X(flows_closed, "flows ended by FIN/RST")                                            \
  X(flow_timeouts, "flows ended by idle timeout")                                      \
  X(flows_bypassed, "flows whose first bytes were not HTTP: not followed further")     \
  X(evictions, "followed flows evicted because the table was full (data may be lost)") \
  X(bypassed_evictions, "bypassed flows evicted to make room (nothing lost)")          \
  X(duplicate_segments, "segments whose bytes had all been seen")                      \
  X(out_of_order_segments, "segments that arrived ahead of a hole")                    \
  X(overlaps, "overlaps whose bytes differ from the first copy (flow marked)")         \
  X(gaps, "holes in a stream that were skipped")                                       \
  X(gap_bytes, "bytes skipped over holes")

// X(name, help): HTTP requests.
#define DIJK_HTTP_COUNTERS(X)                                                                    \
  X(http_flows, "flows whose first bytes were an HTTP/1.x request line")                         \
  X(http_requests, "HTTP requests parsed")                                                       \
  X(http_bodies_inflated, "request bodies sent with Content-Encoding gzip or deflate, inflated") \
  X(embedded_files, "base64 values in JSON or form bodies (data: URIs too) decoded as files")    \
  X(http_json_bodies, "raw bodies that are JSON (first byte { or [): only their base64 values hashed")

// X(name, help): files found in request bodies and matched against the set.
#define DIJK_MATCH_COUNTERS(X)                                              \
  X(files, "files seen in request bodies (multipart parts and raw bodies)") \
  X(bytes_hashed, "file bytes digested")                                    \
  X(truncated_files, "files with a gap or cut short: never matched")        \
  X(files_matched, "complete files looked up in the set")                   \
  X(allow_listed, "files on the allow-list: never reported")                \
  X(hits, "hits reported")                                                  \
  X(pdq_queued, "images handed to the PDQ stage")                           \
  X(pdq_skipped, "images not handed to the PDQ stage (too large or queue full)")

// X(name, help): prevention on the inline bridge (dataplane.ips): what became of hits on a `block` list.
#define DIJK_IPS_COUNTERS(X)                                                                                 \
  X(ips_blocked, "block-list hits whose upload was stopped: frame dropped, both ends reset, hit journalled") \
  X(ips_fail_open_journal,                                                                                   \
    "block-list hits forwarded: the journal lane could not take the hit (full, disk failing)")               \
  X(ips_fail_open_unheld,                                                                                    \
    "block-list hits forwarded: no frame was held (worker behind, or the file ended on a timeout)")

// X(name, help): why a segment, a file or a flow's data was not processed ("drop_<name>"). Multipart's
// own reason is here too: it is one more reason a file was not taken.
#define DIJK_DROP_REASONS(X)                                                                  \
  X(not_http_port, "server port not in dataplane.http_ports: never tracked")                  \
  X(no_flow, "data for an unknown flow and midstream pickup is off")                          \
  X(bypassed, "segment of a bypassed flow (not HTTP): dropped unread")                        \
  X(out_of_window, "sequence number implausibly far ahead of the stream")                     \
  X(ooo_flow_limit, "out-of-order store of the flow full: a gap was forced")                  \
  X(ooo_memory, "global out-of-order memory cap reached: segment dropped")                    \
  X(after_close, "data after FIN/RST beyond the end of the stream")                           \
  X(http_unparsable, "libhtp gave up on the request side of a flow")                          \
  X(http_after_gap, "request bytes after a gap libhtp could not skip")                        \
  X(multipart_malformed, "multipart body that does not follow its boundary")                  \
  X(inflate_limit, "compressed body past the inflated size or ratio cap: truncated")          \
  X(inflate_malformed, "compressed body zlib cannot decode, or cut short: truncated")         \
  X(encoding_unsupported, "body Content-Encoding other than gzip or deflate: hashed as sent") \
  X(json_malformed, "JSON body that breaks the grammar or ends early: scan stopped")          \
  X(json_too_deep, "JSON body nested deeper than 64: scan stopped")                           \
  X(base64_malformed, "base64 value with a byte or an end base64 cannot have: truncated")     \
  X(image_too_large, "image bigger than the PDQ copy cap: PDQ skipped")                       \
  X(image_queue_full, "PDQ queue or image copy memory full: PDQ skipped")

enum class DropReason : std::uint8_t {
#define DIJK_ENUM(name, help) name,
  DIJK_DROP_REASONS(DIJK_ENUM)
#undef DIJK_ENUM
};
#define DIJK_ONE(name, help) +1
inline constexpr std::size_t kDropReasonCount = 0 DIJK_DROP_REASONS(DIJK_ONE);
#undef DIJK_ONE

std::string_view drop_reason_name(DropReason r);
// The help text a counter was declared with, by its for_each name ("drop_<reason>" for drops); empty for
// a name that is not in the lists. Metrics take their help from here, so it is written once.
std::string_view stream_counter_help(std::string_view name);

struct StreamCounters {
#define DIJK_FIELD(name, help) std::uint64_t name = 0;
  DIJK_TCP_COUNTERS(DIJK_FIELD)
  DIJK_HTTP_COUNTERS(DIJK_FIELD)
  DIJK_MATCH_COUNTERS(DIJK_FIELD)
  DIJK_IPS_COUNTERS(DIJK_FIELD)
#undef DIJK_FIELD
  std::array<std::uint64_t, kDropReasonCount> drops{};

  void drop(DropReason r, std::uint64_t n = 1) {
    drops[static_cast<std::size_t>(r)] += n;
  }
  std::uint64_t dropped(DropReason r) const {
    return drops[static_cast<std::size_t>(r)];
  }
  StreamCounters& operator+=(const StreamCounters& o);

  // Visits every counter as (name, value), drops as "drop_<reason>", for summaries and metrics.
  template <typename F>
  void for_each(F&& f) const {
#define DIJK_VISIT(name, help) f(#name, name);
    DIJK_TCP_COUNTERS(DIJK_VISIT)
    DIJK_HTTP_COUNTERS(DIJK_VISIT)
    DIJK_MATCH_COUNTERS(DIJK_VISIT)
    DIJK_IPS_COUNTERS(DIJK_VISIT)
#undef DIJK_VISIT
#define DIJK_VISIT_DROP(name, help) f("drop_" #name, drops[static_cast<std::size_t>(DropReason::name)]);
    DIJK_DROP_REASONS(DIJK_VISIT_DROP)
#undef DIJK_VISIT_DROP
  }
};

}  // namespace dijk
