#include "apps/dijk-check/icap/icap_response.h"

#include <cstdio>

#include "config/cli/version.h"

namespace dijk::icap {
namespace {

std::string chunked(std::span<const std::uint8_t> body) {
  std::string out;
  if (!body.empty()) {
    char size[24];
    std::snprintf(size, sizeof size, "%zx\r\n", body.size());
    out += size;
    out.append(reinterpret_cast<const char*>(body.data()), body.size());
    out += "\r\n";
  }
  out += "0\r\n\r\n";
  return out;
}

std::string common(std::string_view status_line, std::string_view istag) {
  std::string out = "ICAP/1.0 ";
  out += status_line;
  out += "\r\nServer: dijk-check/";
  out += cli::dijk_version();
  out += "\r\nISTag: ";
  out += istag;
  out += "\r\n";
  return out;
}

const char* reason(unsigned status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 404:
      return "ICAP Service Not Found";
    case 405:
      return "Method Not Allowed For Service";
    case 413:
      return "Request Entity Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return "Server Error";
  }
}

}  // namespace

std::string istag_for(std::uint64_t set_version) {
  return "\"dijk-set-" + std::to_string(set_version) + "\"";
}

std::string options_response(const OptionsAnswer& a) {
  std::string out = common("200 OK", a.istag);
  out += "Methods: REQMOD\r\nService: dijk-check upload check\r\nAllow: 204\r\nPreview: " +
         std::to_string(a.preview) +
         "\r\nTransfer-Preview: *\r\nMax-Connections: " + std::to_string(a.max_connections) +
         "\r\nOptions-TTL: " + std::to_string(a.ttl_s) + "\r\nEncapsulated: null-body=0\r\n\r\n";
  return out;
}

std::string continue_response() {
  return "ICAP/1.0 100 Continue\r\n\r\n";
}

std::string no_content_response(std::string_view istag) {
  return common("204 No Content", istag) + "Encapsulated: null-body=0\r\n\r\n";
}

std::string blocked_response(std::string_view istag, std::string_view html_page) {
  const std::string http_head =
      "HTTP/1.1 403 Forbidden\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: " +
      std::to_string(html_page.size()) + "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n";
  std::string out = common("200 OK", istag);
  out += "Encapsulated: res-hdr=0, res-body=" + std::to_string(http_head.size()) + "\r\n\r\n";
  out += http_head;
  out += chunked({reinterpret_cast<const std::uint8_t*>(html_page.data()), html_page.size()});
  return out;
}

std::string echo_response(std::string_view istag, std::string_view http_head,
                          std::span<const std::uint8_t> body) {
  std::string out = common("200 OK", istag);
  out += "Encapsulated: req-hdr=0, req-body=" + std::to_string(http_head.size()) + "\r\n\r\n";
  out += http_head;
  out += chunked(body);
  return out;
}

std::string error_response(unsigned status, std::string_view istag, bool close) {
  std::string out = common(std::to_string(status) + " " + reason(status), istag);
  if (close) out += "Connection: close\r\n";
  out += "Encapsulated: null-body=0\r\n\r\n";
  return out;
}

std::string_view default_block_page() {
  return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Upload refused</title></head>\n"
         "<body><h1>Upload refused</h1>\n"
         "<p>This file cannot be uploaded here. It was refused by the platform's upload check.</p>\n"
         "</body></html>\n";
}

}  // namespace dijk::icap
