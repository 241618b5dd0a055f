#include "apps/dijk-hotline/inbox/web/analyst_pages.h"

#include <sstream>

#include "config/cli/time_arg.h"
#include "hashcore/util/safe_text.h"

namespace dijk::web {
namespace {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A value for a query string: every byte but the unreserved ones percent-encoded.
std::string url_component(std::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

std::string iso(std::int64_t t) {
  return t > 0 ? cli::format_iso_utc(t) : "-";
}

std::string ago(std::int64_t then, std::int64_t now) {
  const std::int64_t s = std::max<std::int64_t>(0, now - then);
  if (s < 120) return std::to_string(s) + "s ago";
  if (s < 7200) return std::to_string(s / 60) + "m ago";
  if (s < 172800) return std::to_string(s / 3600) + "h ago";
  return std::to_string(s / 86400) + "d ago";
}

// The page around `body`: title, navigation (the current page marked), who is signed in.
std::string layout(std::string_view title, std::string_view current, const std::string& analyst,
                   const std::string& body) {
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<title>" << title << " &middot; dijk inbox</title>\n<link rel=\"stylesheet\" href=\"/style.css\">\n"
      << "</head>\n<body>\n<header>\n<span class=\"brand\">dijk inbox</span>\n<nav>";
  for (const auto& [path, name] :
       {std::pair{"/hits", "Hits"}, {"/fleet", "Fleet"}, {"/feed", "Feed history"}}) {
    out << "<a href=\"" << path << "\"" << (name == current ? " aria-current=\"page\"" : "") << ">" << name
        << "</a>";
  }
  out << "</nav>\n<span class=\"who\">" << html_text(analyst)
      << " &middot; read-only</span>\n</header>\n<main>\n"
      << "<h1>" << title << "</h1>\n"
      << body << "</main>\n</body>\n</html>\n";
  return out.str();
}

std::string field(const FormValues& form, const std::string& name) {
  const auto it = form.find(name);
  return it == form.end() ? std::string() : it->second;
}

std::string input(const FormValues& form, const std::string& name, const std::string& label,
                  const std::string& placeholder) {
  return "<label>" + label + " <input name=\"" + name + "\" value=\"" + html_text(field(form, name)) +
         "\" placeholder=\"" + placeholder + "\"></label>\n";
}

}  // namespace

std::string html_text(std::string_view bytes) {
  return html_escape(printable_text(bytes));
}

std::string hits_page(const std::string& analyst, const HitsResult& hits, const FormValues& form,
                      std::int64_t now) {
  std::ostringstream b;
  b << "<form class=\"filters\" method=\"get\" action=\"/hits\">\n"
    << input(form, "appliance", "Appliance", "any") << input(form, "list", "List", "any")
    << input(form, "hash", "Hash", "hex") << input(form, "since", "Since", "7d, 2026-11-28")
    << input(form, "until", "Until", "now") << input(form, "limit", "Show", std::to_string(kDefaultHitLimit))
    << "<button type=\"submit\">Filter</button> <a href=\"/hits\">Clear</a>\n</form>\n";
  b << "<p class=\"summary\">" << hits.matched << " hit" << (hits.matched == 1 ? "" : "s") << " match";
  if (hits.matched > hits.rows.size()) b << "; the newest " << hits.rows.size() << " shown";
  b << ". Times are UTC, received at the inbox.</p>\n";
  if (hits.rows.empty()) {
    b << "<p class=\"empty\">No hits match.</p>\n";
    return layout("Hits", "Hits", analyst, b.str());
  }
  b << "<table class=\"hits\">\n<thead><tr><th>Received</th><th>Appliance</th><th>Source</th><th>List</th>"
       "<th>Category</th><th>Algorithm</th><th>Hash</th><th>Upload</th><th>Action</th></tr></"
       "thead>\n<tbody>\n";
  for (const auto& r : hits.rows) {
    b << "<tr><td><time title=\"" << ago(r.received_at, now) << "\">" << iso(r.received_at)
      << "</time></td><td>" << html_text(r.appliance) << "</td><td>" << html_text(r.source) << "</td><td>"
      << html_text(r.list) << "</td><td>" << html_text(r.category) << "</td><td>" << html_text(r.algorithm)
      << "</td><td class=\"hash\">" << html_text(r.hash) << "</td><td class=\"name\">" << html_text(r.name)
      << "</td><td>" << html_text(r.action) << "</td></tr>\n";
  }
  b << "</tbody>\n</table>\n";
  return layout("Hits", "Hits", analyst, b.str());
}

std::string fleet_page(const std::string& analyst, const std::vector<ApplianceStatus>& fleet,
                       const std::string& origin, std::int64_t now) {
  std::ostringstream b;
  b << "<p class=\"summary\">" << fleet.size() << " appliance" << (fleet.size() == 1 ? "" : "s") << ". "
    << html_text(origin) << "</p>\n";
  if (fleet.empty())
    return layout("Fleet", "Fleet", analyst, b.str() + "<p class=\"empty\">No appliance yet.</p>\n");
  b << "<table class=\"fleet\">\n<thead><tr><th>Appliance</th><th>Last seen</th><th></th><th>Hits</th>"
       "<th>Last list</th><th>Set version</th><th>Health</th></tr></thead>\n<tbody>\n";
  for (const auto& a : fleet) {
    b << "<tr><td><a href=\"/hits?appliance=" << html_escape(url_component(a.id)) << "\">" << html_text(a.id)
      << "</a></td><td>" << iso(a.last_seen) << "</td><td>" << ago(a.last_seen, now) << "</td><td>" << a.hits
      << "</td><td>" << html_text(a.last_list) << "</td><td>"
      << (a.set_version ? std::to_string(*a.set_version) : std::string("-")) << "</td><td>"
      << (a.health.empty() ? std::string("-") : html_text(a.health)) << "</td></tr>\n";
  }
  b << "</tbody>\n</table>\n";
  return layout("Fleet", "Fleet", analyst, b.str());
}

std::string feed_page(const std::string& analyst, const FeedHistory& history) {
  std::ostringstream b;
  if (!history.configured) {
    b << "<p class=\"empty\">No feed keys directory was given to the inbox (--web-feed-keys).</p>\n";
    return layout("Feed history", "Feed history", analyst, b.str());
  }
  for (const auto& p : history.problems) {
    b << "<p class=\"problem\">ledger line " << p.line << ": " << html_text(p.reason) << "</p>\n";
  }
  b << "<p class=\"summary\">" << history.records.size() << " record"
    << (history.records.size() == 1 ? "" : "s")
    << ", newest first: every version published and every retraction, with who and why.</p>\n";
  b << "<table class=\"feed\">\n<thead><tr><th>Time</th><th>What</th><th>Version</th><th>Hashes</th>"
       "<th>Added</th><th>Removed</th><th>Held back</th><th>By</th><th>Note</th></tr></thead>\n<tbody>\n";
  for (const auto& r : history.records) {
    const bool publish = r.kind == feed::LedgerKind::publish;
    b << "<tr><td>" << iso(r.time) << "</td><td>" << html_text(feed::ledger_kind_name(r.kind)) << "</td><td>"
      << (publish ? std::to_string(r.version) : "") << "</td><td>"
      << (publish ? std::to_string(r.total) : std::to_string(r.hashes.size())) << "</td><td>"
      << (publish ? std::to_string(r.added) : "") << "</td><td>" << (publish ? std::to_string(r.removed) : "")
      << "</td><td>" << (publish ? std::to_string(r.held) : "") << "</td><td>" << html_text(r.by)
      << "</td><td>" << html_text(r.note);
    if (!publish) {
      b << "<ul class=\"hashes\">";
      for (const auto& d : r.hashes) b << "<li>" << html_text(feed::digest_label(d)) << "</li>";
      b << "</ul>";
    }
    b << "</td></tr>\n";
  }
  b << "</tbody>\n</table>\n";
  return layout("Feed history", "Feed history", analyst, b.str());
}

std::string error_page(int status, std::string_view reason) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
         std::to_string(status) +
         " &middot; dijk inbox</title>\n<link rel=\"stylesheet\" "
         "href=\"/style.css\">\n</head>\n<body>\n<main>\n<h1>" +
         std::to_string(status) + "</h1>\n<p class=\"problem\">" + html_text(reason) +
         "</p>\n<p><a href=\"/hits\">Hits</a></p>\n</main>\n</body>\n</html>\n";
}

std::string_view style_sheet() {
  return R"(:root { color-scheme: light; --line: #d0d7de; --muted: #57606a; --accent: #0a3069; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: #1f2328; background: #f6f8fa; }
header { display: flex; gap: 2em; align-items: baseline; padding: .7em 1.5em; background: var(--accent); color: #fff; }
header .brand { font-weight: 600; font-size: 1.1em; }
header nav a { color: #fff; margin-right: 1.2em; text-decoration: none; opacity: .8; }
header nav a[aria-current="page"] { opacity: 1; border-bottom: 2px solid #fff; }
header .who { margin-left: auto; opacity: .8; }
main { padding: 1em 1.5em 3em; }
h1 { font-size: 1.4em; margin: .3em 0 .6em; }
.filters { display: flex; flex-wrap: wrap; gap: .6em 1em; align-items: end; margin-bottom: 1em; }
.filters label { display: flex; flex-direction: column; font-size: .85em; color: var(--muted); }
.filters input { font: inherit; padding: .25em .4em; border: 1px solid var(--line); border-radius: 4px; min-width: 9em; }
.filters button { font: inherit; padding: .3em 1em; }
.summary { color: var(--muted); }
.empty { padding: 2em; text-align: center; color: var(--muted); background: #fff; border: 1px dashed var(--line); }
.problem { color: #cf222e; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { padding: .35em .6em; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: #eaeef2; font-weight: 600; white-space: nowrap; }
tbody tr:nth-child(even) { background: #f6f8fa; }
td.hash { font-family: ui-monospace, monospace; font-size: .85em; word-break: break-all; }
td.name { word-break: break-all; max-width: 30em; }
ul.hashes { margin: .3em 0 0; padding-left: 1.2em; font-family: ui-monospace, monospace; font-size: .85em; }
)";
}

}  // namespace dijk::web
