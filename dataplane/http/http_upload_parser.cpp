#include "dataplane/http/http_upload_parser.h"

#include <algorithm>
#include <stdexcept>

namespace dijk {
namespace {

std::string to_string(const bstr* b) {
  if (b == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(bstr_ptr(b)), bstr_len(b));
}

std::string header(htp_tx_t* tx, const char* name) {
  auto* h = static_cast<htp_header_t*>(htp_table_get_c(tx->request_headers, name));
  return h == nullptr ? std::string{} : to_string(h->value);
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

// The name a raw upload is known by: the last segment of the URI path.
std::string filename_from_uri(std::string_view uri) {
  uri = uri.substr(0, uri.find_first_of("?#"));
  const std::size_t slash = uri.rfind('/');
  return std::string(slash == std::string_view::npos ? uri : uri.substr(slash + 1));
}

HttpUploadParser* parser_of(htp_connp_t* connp) {
  return static_cast<HttpUploadParser*>(htp_connp_get_user_data(connp));
}

int cb_request_headers(htp_tx_t* tx) {
  return parser_of(tx->connp)->on_request_headers(tx);
}
int cb_request_body(htp_tx_data_t* d) {
  return parser_of(d->tx->connp)->on_request_body(d);
}
int cb_request_complete(htp_tx_t* tx) {
  return parser_of(tx->connp)->on_request_complete(tx);
}

}  // namespace

HttpParserConfig::HttpParserConfig() : cfg_(htp_config_create()) {
  if (cfg_ == nullptr) throw std::bad_alloc();
  htp_config_set_server_personality(cfg_, HTP_SERVER_APACHE_2);
  htp_config_set_response_decompression(cfg_, 0);  // response bodies are not looked at
  htp_config_set_request_decompression(cfg_, 0);   // BodyInflater does it, with our caps and counters
  htp_config_set_tx_auto_destroy(cfg_, 1);         // a transaction is freed once both sides are done
  htp_config_register_request_headers(cfg_, cb_request_headers);
  htp_config_register_request_body_data(cfg_, cb_request_body);
  htp_config_register_request_complete(cfg_, cb_request_complete);
}

HttpParserConfig::~HttpParserConfig() {
  htp_config_destroy(cfg_);
}

HttpUploadParser::HttpUploadParser(const HttpParserConfig& config, UploadSink& sink, StreamCounters& counters,
                                   UploadSink* embedded)
    : config_(config), sink_(sink), counters_(counters), embedded_sink_(embedded) {}

HttpUploadParser::~HttpUploadParser() {
  if (request_.embedded) request_.embedded->finish(false, now_ns_);
  if (file_open_) close_file(false);
  if (connp_ != nullptr) htp_connp_destroy_all(connp_);
}

bool HttpUploadParser::ensure_connp() {
  if (connp_ != nullptr) return true;
  connp_ = htp_connp_create(config_.get());
  if (connp_ == nullptr) return false;
  htp_connp_set_user_data(connp_, this);
  htp_connp_open(connp_, nullptr, 0, nullptr, 0, nullptr);
  return true;
}

void HttpUploadParser::request_data(std::span<const std::uint8_t> bytes, std::uint64_t time_ns) {
  if (request_side_dead_ || bytes.empty()) return;
  now_ns_ = time_ns;
  if (!ensure_connp()) return;
  const int rc = htp_connp_req_data(connp_, nullptr, bytes.data(), bytes.size());
  if (rc != HTP_STREAM_DATA) {
    // Not HTTP (or a tunnel after CONNECT): stop looking at this connection's requests.
    counters_.drop(DropReason::http_unparsable);
    abandon_requests();
    return;
  }
  feed_responses();
}

void HttpUploadParser::response_data(std::span<const std::uint8_t> bytes, std::uint64_t time_ns) {
  if (response_side_dead_ || request_side_dead_ || connp_ == nullptr || bytes.empty()) return;
  now_ns_ = time_ns;
  if (held_response_.size() + bytes.size() > kMaxHeldResponse) {
    // A long response during an upload (or one with no request): libhtp's bookkeeping is not worth it.
    response_side_dead_ = true;
    held_response_.clear();
    held_response_.shrink_to_fit();
    return;
  }
  held_response_.insert(held_response_.end(), bytes.begin(), bytes.end());
  feed_responses();
}

void HttpUploadParser::feed_responses() {
  if (request_in_progress_ || held_response_.empty() || response_side_dead_) return;
  const int rc = htp_connp_res_data(connp_, nullptr, held_response_.data(), held_response_.size());
  held_response_.clear();
  if (rc != HTP_STREAM_DATA) response_side_dead_ = true;
}

void HttpUploadParser::request_gap(std::uint64_t bytes, std::uint64_t time_ns) {
  if (request_side_dead_) return;
  now_ns_ = time_ns;
  if (connp_ == nullptr) {
    // Lost the start of the first request: nothing to resynchronise on.
    counters_.drop(DropReason::http_after_gap);
    abandon_requests();
    return;
  }
  // libhtp skips a gap inside a Content-Length body (the body callback sees data == NULL); anywhere else
  // the parser cannot know where it is and reports an error.
  while (bytes > 0 && !request_side_dead_) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(bytes, 1u << 30));
    const int rc = htp_connp_req_data(connp_, nullptr, nullptr, n);
    bytes -= n;
    if (rc != HTP_STREAM_DATA) {
      counters_.drop(DropReason::http_after_gap);
      abandon_requests();
    }
  }
  request_.lost_bytes = true;
}

void HttpUploadParser::response_gap(std::uint64_t bytes, std::uint64_t time_ns) {
  (void)bytes;
  (void)time_ns;
  response_side_dead_ = true;  // responses only matter for libhtp's bookkeeping
}

void HttpUploadParser::close(std::uint64_t time_ns) {
  now_ns_ = time_ns;
  closing_ = true;
  if (connp_ != nullptr && !request_side_dead_) htp_connp_close(connp_, nullptr);
  end_request(false);
}

void HttpUploadParser::abandon_requests() {
  request_side_dead_ = true;
  end_request(false);
}

int HttpUploadParser::on_request_headers(htp_tx_t* tx) {
  ++counters_.http_requests;
  end_request(false);  // defensive: a previous request that never completed
  request_ = Request{};
  request_in_progress_ = true;
  request_.content_length = tx->request_content_length;
  if (tx->request_transfer_coding == HTP_CODING_CHUNKED) request_.content_length = -1;
  request_.method = to_string(tx->request_method);
  request_.uri = to_string(tx->request_uri);
  request_.host = tx->request_hostname != nullptr ? to_string(tx->request_hostname) : header(tx, "host");
  request_.content_type = header(tx, "content-type");
  const std::string& m = request_.method;
  if (m != "POST" && m != "PUT" && m != "PATCH") return HTP_OK;
  if (starts_with_nocase(request_.content_type, "multipart/")) {
    const std::string boundary = multipart_boundary(request_.content_type);
    if (boundary.empty()) {
      counters_.drop(DropReason::multipart_malformed);
      return HTP_OK;
    }
    request_.kind = BodyKind::multipart;
    request_.multipart.emplace(boundary, static_cast<MultipartHandler&>(*this));
    if (embedded_sink_ != nullptr) {
      const UploadInfo info{request_.method, request_.host, request_.uri, {}, {}};
      request_.fields = std::make_unique<Base64ValueFiles>(*embedded_sink_, counters_, info);
    }
  } else {
    // Any other label, application/x-www-form-urlencoded included, is a raw file: the label is the
    // client's word (curl --data-binary sends a JPEG as a form), the file is sniffed and hashed as it is.
    request_.kind = BodyKind::raw;
    request_.filename = filename_from_uri(request_.uri);
    if (embedded_sink_ != nullptr) {
      const UploadInfo info{request_.method, request_.host, request_.uri, {}, request_.content_type};
      request_.embedded = std::make_unique<EmbeddedFiles>(*embedded_sink_, counters_, info);
      request_.json_sniff = std::make_unique<JsonBodySniffer>();
    }
  }
  switch (const BodyEncoding encoding = body_encoding(header(tx, "content-encoding"))) {
    case BodyEncoding::identity:
      break;
    case BodyEncoding::gzip:
    case BodyEncoding::deflate:
      request_.inflater = std::make_unique<BodyInflater>(encoding, InflateLimits{});
      ++counters_.http_bodies_inflated;
      break;
    case BodyEncoding::unsupported:
      counters_.drop(DropReason::encoding_unsupported);
      request_.embedded.reset();    // compressed text we cannot read holds no values to find
      request_.json_sniff.reset();  // and it is hashed as sent, whatever its first byte
      request_.fields.reset();
      break;
  }
  return HTP_OK;
}

int HttpUploadParser::on_request_body(const htp_tx_data_t* d) {
  request_.body_bytes += d->len;
  if (d->data == nullptr) {
    if (d->len == 0) return HTP_OK;  // end-of-body marker
    lose_body();                     // a gap that libhtp skipped inside the body
    return HTP_OK;
  }
  body_bytes(std::span<const std::uint8_t>(d->data, d->len));
  return HTP_OK;
}

void HttpUploadParser::body_bytes(std::span<const std::uint8_t> bytes) {
  if (request_.kind == BodyKind::ignored) return;
  if (!request_.inflater) {
    decoded_body_bytes(bytes);
    return;
  }
  // A compressed stream cannot resume after lost bytes: nothing more of it is decoded.
  if (request_.lost_bytes) return;
  const auto status =
      request_.inflater->feed(bytes, [this](std::span<const std::uint8_t> out) { decoded_body_bytes(out); });
  if (status == BodyInflater::Status::ok) return;
  counters_.drop(status == BodyInflater::Status::malformed ? DropReason::inflate_malformed
                                                           : DropReason::inflate_limit);
  lose_body();
}

void HttpUploadParser::decoded_body_bytes(std::span<const std::uint8_t> bytes) {
  switch (request_.kind) {
    case BodyKind::ignored:
      break;
    case BodyKind::raw:
      if (request_.lost_bytes) break;  // the file was already ended as truncated
      raw_file_bytes(bytes);
      if (request_.embedded) request_.embedded->feed(bytes, now_ns_);
      break;
    case BodyKind::multipart:
      request_.multipart->feed(bytes);
      break;
  }
}

void HttpUploadParser::raw_file_bytes(std::span<const std::uint8_t> bytes) {
  if (file_open_) {
    sink_.file_data(bytes);
    return;
  }
  if (raw_body_is_json()) return;  // its values are the files
  if (request_.json_sniff) {
    switch (request_.json_sniff->look(bytes)) {
      case JsonBodySniffer::Verdict::undecided:
        return;  // whitespace so far: held
      case JsonBodySniffer::Verdict::json:
        ++counters_.http_json_bodies;
        return;
      case JsonBodySniffer::Verdict::other:
        break;
    }
  }
  open_file(request_.filename, request_.content_type);
  flush_held_blanks();
  sink_.file_data(bytes);
}

void HttpUploadParser::flush_held_blanks() {
  if (!request_.json_sniff) return;
  if (const auto held = request_.json_sniff->held(); !held.empty()) sink_.file_data(held);
}

bool HttpUploadParser::raw_body_is_json() const {
  return request_.json_sniff && request_.json_sniff->verdict() == JsonBodySniffer::Verdict::json;
}

void HttpUploadParser::lose_body() {
  // A raw body is one file, so it is truncated even when the lost bytes were its first (unless it is
  // JSON: then it is no file, and only its value in progress is cut).
  if (request_.kind == BodyKind::raw && !request_.lost_bytes) {
    if (!file_open_ && !raw_body_is_json()) open_file(request_.filename, request_.content_type);
    if (file_open_) close_file(false);
    if (request_.embedded) request_.embedded->lose(now_ns_);
  }
  if (request_.kind == BodyKind::multipart && !(request_.inflater && request_.lost_bytes)) {
    request_.multipart->gap();
  }
  request_.lost_bytes = true;
}

int HttpUploadParser::on_request_complete(htp_tx_t* tx) {
  (void)tx;
  // libhtp also completes a request when the connection closes; only a body that arrived in full counts.
  const bool length_ok = request_.content_length < 0 ||
                         request_.body_bytes == static_cast<std::uint64_t>(request_.content_length);
  if (length_ok && !closing_ && request_.inflater && !request_.lost_bytes && !request_.inflater->finished() &&
      request_.kind != BodyKind::ignored) {
    // The body is all in but the compressed stream never ended: what was inflated is not the whole file.
    counters_.drop(DropReason::inflate_malformed);
    lose_body();
  }
  end_request(!closing_ && length_ok);
  request_in_progress_ = false;
  return HTP_OK;
}

void HttpUploadParser::end_request(bool complete) {
  if (request_.kind == BodyKind::multipart && request_.multipart) {
    if (!request_.multipart->finish(complete)) counters_.drop(DropReason::multipart_malformed);
    request_.multipart.reset();
  }
  if (request_.embedded) {
    request_.embedded->finish(complete && !request_.lost_bytes, now_ns_);
    request_.embedded.reset();
  }
  if (request_.fields) {
    if (request_.field_open) request_.fields->value_end(false);  // the splitter never ended it
    request_.field_open = false;
    request_.fields.reset();
  }
  if (request_.kind == BodyKind::raw && !file_open_ && !request_.lost_bytes && request_.json_sniff &&
      request_.json_sniff->verdict() == JsonBodySniffer::Verdict::undecided &&
      !request_.json_sniff->held().empty()) {
    // A body of whitespace alone is no JSON: hashed as sent, as any other.
    open_file(request_.filename, request_.content_type);
    flush_held_blanks();
  }
  if (file_open_) close_file(complete && !request_.lost_bytes);
  request_.kind = BodyKind::ignored;
}

void HttpUploadParser::open_file(std::string_view filename, std::string_view content_type) {
  UploadInfo info{request_.method, request_.host, request_.uri, filename, content_type};
  sink_.begin_file(info, now_ns_);
  file_open_ = true;
}

void HttpUploadParser::close_file(bool complete) {
  file_open_ = false;
  sink_.end_file(complete, now_ns_);
}

void HttpUploadParser::part_begin(const MultipartPartHeaders& headers) {
  if (headers.has_filename) {
    open_file(headers.filename, headers.content_type);
  } else if (request_.fields) {
    request_.fields->set_time(now_ns_);
    request_.fields->value_begin(headers.name);
    request_.field_open = true;
  }
}

void HttpUploadParser::part_data(std::span<const std::uint8_t> bytes) {
  if (file_open_) {
    sink_.file_data(bytes);
  } else if (request_.field_open) {
    request_.fields->set_time(now_ns_);
    request_.fields->value_data(bytes);
  }
}

void HttpUploadParser::part_end(bool complete) {
  if (file_open_) close_file(complete && !closing_);
  if (request_.field_open) {
    request_.fields->set_time(now_ns_);
    request_.fields->value_end(complete && !closing_);
    request_.field_open = false;
  }
}

}  // namespace dijk
