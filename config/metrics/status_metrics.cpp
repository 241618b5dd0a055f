#include "config/metrics/status_metrics.h"

namespace dijk::metrics {

void export_status(Registry& registry, std::function<admin::DaemonStatus()> status) {
  registry.add_collector([status = std::move(status)](std::vector<Sample>& out) {
    const admin::DaemonStatus s = status();
    const Labels daemon = {{"daemon", s.daemon}};
    const auto gauge = [&](const char* name, const char* help, double v) {
      out.push_back({name, help, Type::kGauge, daemon, v});
    };
    out.push_back({"dijk_build_info",
                   "The daemon's version, as a label; the value is always 1.",
                   Type::kGauge,
                   {{"daemon", s.daemon}, {"version", s.version}},
                   1});
    gauge("dijk_uptime_seconds", "Seconds since the daemon started.", static_cast<double>(s.uptime_s));
    if (s.set) {
      gauge("dijk_set_version", "Version of the active hash set.", static_cast<double>(s.set->version));
      gauge("dijk_set_entries", "Hashes in the active set.", static_cast<double>(s.set->entries));
      gauge("dijk_set_age_seconds", "Seconds since the active set was built.",
            static_cast<double>(s.set->age_s));
    }
    if (s.feed) {
      gauge("dijk_feed_healthy", "1 if the last feed sync succeeded.", s.feed->healthy ? 1 : 0);
      if (s.feed->last_success_age_s) {
        gauge("dijk_feed_last_success_age_seconds", "Seconds since the last successful feed sync.",
              static_cast<double>(*s.feed->last_success_age_s));
      }
    }
    if (s.reporter) {
      gauge("dijk_reporter_backlog", "Hits journalled but not yet acknowledged by the hotline.",
            static_cast<double>(s.reporter->backlog));
      out.push_back({"dijk_reporter_delivered_total", "Hits the hotline acknowledged.", Type::kCounter,
                     daemon, static_cast<double>(s.reporter->delivered)});
      gauge("dijk_reporter_alarm", "1 while hits wait undelivered for longer than reporting.alarm_after_s.",
            s.reporter->alarm.empty() ? 0 : 1);
      if (s.reporter->last_delivery_age_s) {
        gauge("dijk_reporter_last_delivery_age_seconds", "Seconds since the inbox last acknowledged a batch.",
              static_cast<double>(*s.reporter->last_delivery_age_s));
      }
    }
    gauge("dijk_alarms", "Alarms the daemon raises now (dijkd: the journal cannot keep up); 0 when none.",
          static_cast<double>(s.alarms.size()));
    if (s.rates) {
      gauge("dijk_rate_packets_per_second", "Packets per second, recent average.", s.rates->packets_per_s);
      gauge("dijk_rate_bytes_per_second", "Bytes per second, recent average.", s.rates->bytes_per_s);
      gauge("dijk_rate_files_per_second", "Files hashed per second, recent average.", s.rates->files_per_s);
      gauge("dijk_rate_hits_per_second", "Hits per second, recent average.", s.rates->hits_per_s);
    }
  });
}

}  // namespace dijk::metrics
