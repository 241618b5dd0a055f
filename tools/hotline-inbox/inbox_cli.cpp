#include "tools/hotline-inbox/inbox_cli.h"

#include <csignal>
#include <ctime>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>

#include <nlohmann/json.hpp>

#include "tools/hotline-inbox/inbox_server.h"

namespace dijk::inbox {
namespace {

// The one piece of process-wide state: what a signal handler may touch.
std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop.store(true); }

// Unix seconds, or an ISO 8601 UTC time (2026-11-28T19:00:00Z, or just the date).
bool parse_time(std::string_view text, std::int64_t& out) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos) {
    try {
      out = std::stoll(std::string(text));
      return true;
    } catch (...) {
      return false;
    }
  }
  std::tm tm{};
  const std::string s(text);
  const char* end = ::strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (end == nullptr || *end != '\0') {
    tm = {};
    end = ::strptime(s.c_str(), "%Y-%m-%d", &tm);
    if (end == nullptr || *end != '\0') return false;
  }
  out = static_cast<std::int64_t>(::timegm(&tm));
  return true;
}

std::string csv_field(const std::string& v) {
  if (v.find_first_of(",\"\n\r") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string field(const nlohmann::json& j, const char* name) {
  const auto it = j.find(name);
  if (it == j.end()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace

int inbox_main(int argc, char** argv) {
  InboxOptions o;
  std::string listen;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "inbox: " << flag << " needs a value\n";
      return 2;
    }
    const std::string v = argv[++i];
    if (flag == "--listen") listen = v;
    else if (flag == "--cert") o.cert = v;
    else if (flag == "--key") o.key = v;
    else if (flag == "--client-ca") o.client_ca = v;
    else if (flag == "--db") o.db = v;
    else {
      std::cerr << "inbox: unknown option " << flag << "\n";
      return 2;
    }
  }
  const auto colon = listen.rfind(':');
  if (listen.empty() || colon == std::string::npos || o.cert.empty() || o.key.empty() || o.client_ca.empty() ||
      o.db.empty()) {
    std::cerr << "usage: inbox --listen 127.0.0.1:PORT --cert FILE --key FILE --client-ca FILE --db FILE\n";
    return 2;
  }
  o.listen_host = listen.substr(0, colon);
  try {
    const unsigned long port = std::stoul(listen.substr(colon + 1));
    if (port > 65535) throw std::out_of_range("port");
    o.port = static_cast<std::uint16_t>(port);
  } catch (...) {
    std::cerr << "inbox: bad port in --listen " << listen << "\n";
    return 2;
  }
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  try {
    InboxServer server(o);
    server.start();
    std::cerr << "inbox: listening on " << o.listen_host << ":" << server.port() << ", database " << o.db << std::endl;
    while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    server.stop();
    const auto& s = server.stats();
    std::cerr << "inbox: stopped; " << s.hits_accepted << " hits stored, " << s.duplicates << " duplicates, "
              << s.bad_requests << " bad requests, " << s.tls_failures << " failed handshakes\n";
  } catch (const std::exception& e) {
    std::cerr << "inbox: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

int hits_main(int argc, char** argv) {
  std::string db;
  std::int64_t since = 0;
  enum { csv, json } format = csv;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--json") format = json;
    else if (flag == "--csv") format = csv;
    else if ((flag == "--db" || flag == "--since") && i + 1 < argc) {
      const std::string v = argv[++i];
      if (flag == "--db") db = v;
      else if (!parse_time(v, since)) {
        std::cerr << "hits: --since wants unix seconds or YYYY-MM-DD[THH:MM:SSZ], got " << v << "\n";
        return 2;
      }
    } else {
      std::cerr << "usage: hits [--since T] [--json|--csv] --db FILE\n";
      return 2;
    }
  }
  if (db.empty()) {
    std::cerr << "usage: hits [--since T] [--json|--csv] --db FILE\n";
    return 2;
  }
  try {
    if (!std::filesystem::exists(db)) throw std::runtime_error("no database at " + db);
    InboxStore store(db);
    if (format == csv) {
      std::cout << "received_at,key,appliance,position,time_ns,source,kind,algorithm,hash,list,category,size,"
                   "file_type,client_ip,client_ip_hmac,url,url_hmac,filename,filename_hmac,path,path_hmac\n";
    }
    store.list(since, [&](const StoredHit& h) {
      auto j = nlohmann::json::parse(h.report, nullptr, false);
      if (j.is_discarded()) j = nlohmann::json::object();
      j["received_at"] = h.received_at;
      if (format == json) {
        std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        return;
      }
      std::cout << h.received_at;
      for (const char* name : {"key", "appliance", "position", "time_ns", "source", "kind", "algorithm", "hash", "list",
                               "category", "size", "file_type", "client_ip", "client_ip_hmac", "url", "url_hmac",
                               "filename", "filename_hmac", "path", "path_hmac"}) {
        std::cout << "," << csv_field(field(j, name));
      }
      std::cout << "\n";
    });
  } catch (const std::exception& e) {
    std::cerr << "hits: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace dijk::inbox
