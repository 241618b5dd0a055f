#include "apps/dijkd/summary.h"

#include <cstdio>
#include <string>

#include "dataplane/events/json_text.h"

namespace dijk {

namespace {

using dpdk::CounterList;

void print_counters_text(const std::string& title, const CounterList& list) {
  std::printf("%s\n", title.c_str());
  for (const auto& [name, value] : list)
    std::printf("  %-32s %llu\n", name.c_str(), static_cast<unsigned long long>(value));
}

std::string counters_json(const CounterList& list) {
  std::string j = "{";
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i) j += ",";
    j += "\"" + list[i].first + "\":" + std::to_string(list[i].second);
  }
  return j + "}";
}

}  // namespace

void print_summary(const dpdk::Dataplane& dp, const CounterList& daemon_counters, bool json) {
  std::vector<CounterList> per_worker;
  for (const auto& w : dp.workers()) per_worker.push_back(w->counter_list());
  CounterList total = dpdk::sum_counters(per_worker);
  total.insert(total.end(), daemon_counters.begin(), daemon_counters.end());
  const auto ports = dp.port_reports();
  if (json) {
    std::string j = "{\"summary\":{\"workers\":[";
    for (std::size_t w = 0; w < per_worker.size(); ++w) j += (w ? "," : "") + counters_json(per_worker[w]);
    j += "],\"ports\":[";
    for (std::size_t p = 0; p < ports.size(); ++p) {
      j += (p ? "," : "");
      j += "{\"name\":" + json_string(ports[p].info.name) + ",\"rss\":\"" +
           dpdk::rss_mode_name(ports[p].info.rss) +
           "\",\"rx_timestamps\":" + (ports[p].info.rx_timestamps ? "true" : "false") +
           ",\"counters\":" + counters_json(ports[p].counters) + "}";
    }
    j += "],\"total\":" + counters_json(total) + "}}";
    std::printf("%s\n", j.c_str());
  } else {
    for (const auto& p : ports)
      print_counters_text("port " + p.info.name + " (rss " + dpdk::rss_mode_name(p.info.rss) +
                              (p.info.rx_timestamps ? ", capture timestamps" : "") + ")",
                          p.counters);
    for (std::size_t w = 0; w < per_worker.size(); ++w)
      print_counters_text("worker " + std::to_string(w), per_worker[w]);
    print_counters_text("total", total);
  }
  std::fflush(stdout);
}

}  // namespace dijk
