#pragma once
// The ICAP responses dijk-check sends (RFC 3507 section 4.3): OPTIONS, 100 Continue, 204, a 403 page in
// place of a blocked request, the request echoed back (for clients that do not allow 204) and errors.
// Text only: no I/O, so every shape is unit tested.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace dijk::icap {

// ISTag names the service's state: it changes with the set version, so a proxy that caches our answers
// (Squid does not cache REQMOD answers, but the tag is also how operators see which set answered).
std::string istag_for(std::uint64_t set_version);

struct OptionsAnswer {
  std::string istag;
  std::uint64_t preview = 4096;
  std::uint32_t max_connections = 256;
  std::uint32_t ttl_s = 60;
};
std::string options_response(const OptionsAnswer& a);

std::string continue_response();
std::string no_content_response(std::string_view istag);

// 200 with an HTTP 403 response in place of the request: the proxy sends it to the uploader and the
// upload never reaches the origin.
std::string blocked_response(std::string_view istag, std::string_view html_page);

// 200 with the request unchanged (a client that sent no "Allow: 204" wants it back to forward it).
std::string echo_response(std::string_view istag, std::string_view http_head,
                          std::span<const std::uint8_t> body);

// 400, 404, 405, 413, 500, 503: ICAP errors. The connection is closed after a 400 (the framing is lost).
std::string error_response(unsigned status, std::string_view istag, bool close);

// The HTTP body of a 403 when no block_page file is configured.
std::string_view default_block_page();

}  // namespace dijk::icap
