#include "dataplane/events/hit_printer.h"

#include <arpa/inet.h>

#include "dataplane/events/json_text.h"
#include "hashcore/util/safe_text.h"

namespace dijk {

std::string ip_text(const IpAddress& ip) {
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  char buf[INET6_ADDRSTRLEN] = {};
  if (std::equal(std::begin(kMapped), std::end(kMapped), ip.bytes.begin())) {
    inet_ntop(AF_INET, ip.bytes.data() + 12, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, ip.bytes.data(), buf, sizeof buf);
  }
  return buf;
}

std::string hit_json_line(const HitEvent& hit) {
  JsonObject o;
  if (hit.source == HitSource::wire) {
    o.add("time", static_cast<double>(hit.time_ns) / 1e9);
    if (hit.flow) {
      o.add("src", ip_text(hit.flow->src)).add("dst", ip_text(hit.flow->dst));
      o.add("sport", std::uint64_t{hit.flow->src_port}).add("dport", std::uint64_t{hit.flow->dst_port});
    }
    o.add("method", hit.method).add("host", hit.host).add("uri", hit.uri).add("filename", hit.filename);
    if (!hit.action.empty()) o.add("action", hit.action);  // "blocked": the inline bridge stopped the upload
  } else if (hit.source == HitSource::file || hit.source == HitSource::retrohunt) {
    if (hit.source == HitSource::retrohunt) o.add("source", "retrohunt");  // a stored file, found later
    o.add("path", hit.path);
    if (hit.file_stat) {
      o.add("owner_uid", std::uint64_t{hit.file_stat->owner_uid});
      o.add("mtime", static_cast<double>(hit.file_stat->mtime_ns) / 1e9);
    }
  } else {  // api, icap: the caller's metadata, and what the policy did
    o.add("time", static_cast<double>(hit.time_ns) / 1e9).add("source", hit_source_name(hit.source));
    o.add("customer", hit.customer).add("upload_id", hit.upload_id).add("client_ip", hit.client_ip);
    o.add("action", hit.action);
  }
  o.add("size", hit.size).add("type", hit.file_type).add("algorithm", hit.algorithm).add("hash", hit.hash);
  o.add("list", hit.list).add("category", hit.category);
  if (hit.pdq_distance) o.add("distance", std::uint64_t{*hit.pdq_distance});
  if (hit.pdq_quality) o.add("quality", std::uint64_t{*hit.pdq_quality});
  o.add("set_version", hit.set_version);
  return o.str();
}

std::string hit_human_line(const HitEvent& hit) {
  // Every name came from outside: printable_text, so a newline cannot forge a line nor ESC reach a tty.
  std::string where;
  switch (hit.source) {
    case HitSource::file:
      where = printable_text(hit.path);
      break;
    case HitSource::retrohunt:
      where = "retro-hunt " + printable_text(hit.path);
      break;
    case HitSource::wire:
      where = printable_text(hit.method) + " " + printable_text(hit.host) + printable_text(hit.uri);
      if (!hit.action.empty()) where += " (" + printable_text(hit.action) + ")";
      break;
    case HitSource::api:
    case HitSource::icap:
      where = std::string(hit_source_name(hit.source)) + " customer " + printable_text(hit.customer) +
              " upload " + printable_text(hit.upload_id);
      if (!hit.action.empty()) where += " (" + printable_text(hit.action) + ")";
      break;
  }
  if (hit.source == HitSource::wire && !hit.filename.empty())
    where += " [" + printable_text(hit.filename) + "]";
  if (hit.source == HitSource::wire && hit.flow) {
    where = ip_text(hit.flow->src) + ":" + std::to_string(hit.flow->src_port) + " -> " +
            ip_text(hit.flow->dst) + ":" + std::to_string(hit.flow->dst_port) + " " + where;
  }
  std::string line =
      "HIT " + where + ": " + hit.algorithm + " " + hit.hash + " list " + printable_text(hit.list);
  if (!hit.category.empty()) line += " (" + printable_text(hit.category) + ")";
  if (hit.pdq_distance) line += " distance " + std::to_string(*hit.pdq_distance);
  if (hit.pdq_quality) line += " quality " + std::to_string(*hit.pdq_quality);
  return line;
}

void PrintingHitSink::on_hit(const HitEvent& hit) {
  const std::string line = (style_ == Style::json ? hit_json_line(hit) : hit_human_line(hit)) + "\n";
  std::lock_guard lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace dijk
