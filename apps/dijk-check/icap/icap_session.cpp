#include "apps/dijk-check/icap/icap_session.h"

#include <algorithm>
#include <cstdio>

#include "apps/dijk-check/icap/icap_response.h"
#include "core/unix_time.h"

namespace dijk::icap {
namespace {

using Clock = std::chrono::steady_clock;

bool iequals_prefix(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
  }
  return true;
}

// The encapsulated head as the wire parser should see it: the body always arrives re-chunked (ICAP has
// taken it out of whatever framing the client used), so the framing headers are replaced by
// "Transfer-Encoding: chunked"; "Expect" is dropped (there is nobody to send 100 Continue).
std::string head_for_wire_parser(std::string_view head, bool has_body) {
  std::string out;
  out.reserve(head.size() + 32);
  std::size_t pos = 0;
  bool first = true;
  while (pos < head.size()) {
    std::size_t end = head.find("\r\n", pos);
    if (end == std::string_view::npos) end = head.size();
    const std::string_view line = head.substr(pos, end - pos);
    pos = end + 2;
    if (line.empty()) break;
    if (!first && (iequals_prefix(line, "content-length") || iequals_prefix(line, "transfer-encoding") ||
                   iequals_prefix(line, "expect"))) {
      continue;
    }
    first = false;
    out.append(line).append("\r\n");
  }
  if (has_body) out += "Transfer-Encoding: chunked\r\n";
  out += "\r\n";
  return out;
}

// The request method of an encapsulated HTTP head ("POST http://host/path HTTP/1.1").
std::string_view http_method(std::string_view head) {
  return head.substr(0, std::min(head.find(' '), std::size_t{16}));
}

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

// What is known of the request in progress.
struct IcapSession::Request {
  IcapRequestHead head;
  Clock::time_point started = Clock::now();
  enum class Kind { options, reqmod, refused } kind = Kind::refused;
  unsigned refusal = 0;     // the ICAP status a refused request gets once its bytes are in
  std::string http_method;  // of the encapsulated request
  std::string http_head;    // as sent, for an echo
  std::unique_ptr<HttpUploadParser> http;
  std::vector<std::uint8_t> echo_body;  // kept only when the client did not allow 204
  std::uint64_t body_bytes = 0;
  bool echo_too_large = false;
};

IcapSession::IcapSession(const IcapSessionOptions& options, const check::CheckService& service,
                         const check::CheckEngine& engine, check::ApiMetrics& metrics)
    : options_(options), service_(service), engine_(engine), metrics_(metrics), parser_(*this) {}

IcapSession::~IcapSession() = default;

void IcapSession::feed(std::span<const std::uint8_t> bytes) {
  if (close_) return;
  parser_.feed(bytes);
  if (parser_.failed()) {
    metrics_.reject("icap_malformed");
    respond("icap", 400, error_response(400, istag(), /*close=*/true));
    close_ = true;
    request_.reset();
  }
}

std::string IcapSession::take_output() {
  return std::exchange(output_, {});
}

std::string IcapSession::istag() const {
  return istag_for(engine_.set_version());
}

void IcapSession::respond(const std::string& endpoint, unsigned status, std::string text) {
  const double seconds =
      request_ ? std::chrono::duration<double>(Clock::now() - request_->started).count() : 0.0;
  metrics_.request(endpoint, status, seconds);
  output_ += text;
}

void IcapSession::request_head(const IcapRequestHead& head) {
  request_ = std::make_unique<Request>();
  request_->head = head;
  files_.clear();
  files_bytes_ = 0;
  if (head.close) close_after_ = true;
  if (head.service != options_.service) {
    request_->refusal = 404;
  } else if (head.method == "OPTIONS") {
    request_->kind = Request::Kind::options;
  } else if (head.method == "REQMOD") {
    request_->kind = Request::Kind::reqmod;
  } else {
    request_->refusal = 405;  // RESPMOD and the rest: we look at uploads only
  }
}

void IcapSession::http_head(std::string_view head) {
  if (!request_ || request_->kind != Request::Kind::reqmod) return;
  Request& r = *request_;
  r.http_method = std::string(http_method(head));
  if (!r.head.allow_204) r.http_head = std::string(head);
  r.http = std::make_unique<HttpUploadParser>(http_config_, body_files_, http_counters_, &embedded_files_);
  const std::string normalised = head_for_wire_parser(head, r.head.has_body);
  r.http->request_data(as_bytes(normalised), unix_now_ns());
}

void IcapSession::body_data(std::span<const std::uint8_t> bytes) {
  if (!request_ || request_->kind != Request::Kind::reqmod || bytes.empty()) return;
  Request& r = *request_;
  r.body_bytes += bytes.size();
  if (!r.head.allow_204 && !r.echo_too_large) {
    if (r.echo_body.size() + bytes.size() > options_.max_file_bytes) {
      r.echo_too_large = true;
      r.echo_body.clear();
      r.echo_body.shrink_to_fit();
    } else {
      r.echo_body.insert(r.echo_body.end(), bytes.begin(), bytes.end());
    }
  }
  if (!r.http) return;
  char size_line[24];
  const int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", bytes.size());
  const std::uint64_t now = unix_now_ns();
  r.http->request_data(as_bytes({size_line, static_cast<std::size_t>(n)}), now);
  r.http->request_data(bytes, now);
  r.http->request_data(as_bytes("\r\n"), now);
}

bool IcapSession::preview_end() {
  // A request that carries no upload (a GET or DELETE with a body) is answered on its preview: the proxy
  // need not send the rest. Uploads are read whole: a file is matched on all of its bytes.
  if (request_ && request_->kind == Request::Kind::reqmod) {
    const std::string_view m = request_->http_method;
    if (m == "POST" || m == "PUT" || m == "PATCH") {
      output_ += continue_response();
      return true;
    }
    request_->http.reset();  // nothing more arrives; no file is checked on a part of its bytes
    files_.clear();
  }
  request_end(false);
  return false;
}

void IcapSession::request_end(bool /*ieof*/) {
  if (!request_) return;
  Request& r = *request_;
  switch (r.kind) {
    case Request::Kind::options: {
      OptionsAnswer a;
      a.istag = istag();
      a.preview = options_.preview;
      a.max_connections = options_.max_connections;
      respond("icap_options", 200, options_response(a));
      break;
    }
    case Request::Kind::reqmod:
      answer_reqmod();
      break;
    case Request::Kind::refused:
      metrics_.reject(r.refusal == 404 ? "icap_unknown_service" : "icap_method");
      respond("icap", r.refusal, error_response(r.refusal, istag(), false));
      break;
  }
  request_.reset();
  files_.clear();
  if (close_after_) close_ = true;
}

void IcapSession::answer_reqmod() {
  Request& r = *request_;
  if (r.http) {
    const std::uint64_t now = unix_now_ns();
    if (r.head.has_body) r.http->request_data(as_bytes("0\r\n\r\n"), now);
    r.http->close(now);
    r.http.reset();
  }
  if (!engine_.has_set()) {
    metrics_.reject("no_set");
    respond("icap_reqmod", 503, error_response(503, istag(), false));
    return;
  }
  check::Caller caller;
  if (const auto ip = r.head.header("X-Client-IP")) caller.client_ip = std::string(ip->substr(0, 256));
  if (const auto user = r.head.header("X-Client-Username"))
    caller.customer = std::string(user->substr(0, 256));
  Verdict verdict = Verdict::allow;
  bool journal_failed = false;
  for (const File& f : files_) {
    if (!f.complete || f.too_large) {
      metrics_.reject(f.too_large ? "icap_file_too_large" : "icap_file_incomplete");
      continue;
    }
    match::FileContext where;
    where.source = HitSource::icap;
    where.time_ns = unix_now_ns();
    where.method = f.method;
    where.host = f.host;
    where.uri = f.uri;
    where.filename = f.filename;
    const check::Decision d = service_.decide(f.bytes, caller, std::move(where));
    metrics_.verdict(d.verdict);
    verdict = std::max(verdict, d.verdict);
    journal_failed = journal_failed || d.journal_failed;
  }
  if (verdict == Verdict::block) {
    // Blocked even when the journal failed: the upload must not go online; the log says the hit is lost.
    respond(
        "icap_reqmod", 200,
        blocked_response(istag(), options_.block_page.empty() ? default_block_page() : options_.block_page));
    return;
  }
  if (journal_failed) {
    metrics_.reject("journal_unavailable");
    respond("icap_reqmod", 500, error_response(500, istag(), false));
    return;
  }
  if (r.head.allow_204) {
    respond("icap_reqmod", 204, no_content_response(istag()));
  } else if (r.echo_too_large) {
    metrics_.reject("icap_echo_too_large");
    respond("icap_reqmod", 413, error_response(413, istag(), false));
  } else {
    respond("icap_reqmod", 200, echo_response(istag(), r.http_head, r.echo_body));
  }
}

void IcapSession::FileCollector::begin_file(const UploadInfo& info, std::uint64_t /*time_ns*/) {
  File f;
  f.method = std::string(info.method);
  f.host = std::string(info.host);
  f.uri = std::string(info.uri);
  f.filename = std::string(info.filename);
  session_.files_.push_back(std::move(f));
  open_ = session_.files_.size() - 1;
}

IcapSession::File* IcapSession::FileCollector::open_file() {
  if (!open_ || *open_ >= session_.files_.size()) return nullptr;
  return &session_.files_[*open_];
}

void IcapSession::FileCollector::file_data(std::span<const std::uint8_t> bytes) {
  File* f = open_file();
  if (f == nullptr || f->too_large) return;
  // One cap for the files of a request together: many small parts cannot add up past it.
  if (session_.files_bytes_ + bytes.size() > session_.options_.max_file_bytes) {
    f->too_large = true;
    f->bytes.clear();
    f->bytes.shrink_to_fit();
    return;
  }
  f->bytes.insert(f->bytes.end(), bytes.begin(), bytes.end());
  session_.files_bytes_ += bytes.size();
}

void IcapSession::FileCollector::end_file(bool complete, std::uint64_t /*time_ns*/) {
  if (File* f = open_file()) f->complete = complete;
  open_.reset();
}

}  // namespace dijk::icap
