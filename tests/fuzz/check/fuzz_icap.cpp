// The ICAP framing parser (apps/dijk-check/icap/icap_parser): a proxy's bytes, whole and then cut in pieces
// of a size the first byte picks. Both ways must tell the same story (the same heads, bodies, previews,
// request ends and failure), since TCP may cut a stream anywhere. The parser must keep to its limits.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "apps/dijk-check/icap/icap_parser.h"

namespace {

// Writes every event into one transcript; consecutive body pieces are joined, since how a body is cut
// depends on how it arrived.
class Transcript : public dijk::icap::IcapHandler {
 public:
  explicit Transcript(bool want_rest) : want_rest_(want_rest) {}
  std::string text;

  void request_head(const dijk::icap::IcapRequestHead& head) override {
    text += "\nhead " + head.method + " " + head.service + " 204=" + std::to_string(head.allow_204) +
            " body=" + std::to_string(head.has_body) +
            " preview=" + (head.preview ? std::to_string(*head.preview) : "-") +
            " headers=" + std::to_string(head.headers.size());
    if (head.headers.size() > dijk::icap::IcapLimits{}.max_headers) __builtin_trap();
    in_body_ = false;
  }
  void http_head(std::string_view head) override {
    if (head.size() > dijk::icap::IcapLimits{}.max_http_head) __builtin_trap();
    text += "\nhttp ";
    text += head;
    in_body_ = false;
  }
  void body_data(std::span<const std::uint8_t> bytes) override {
    if (!in_body_) text += "\nbody ";
    in_body_ = true;
    text.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  bool preview_end() override {
    text += "\npreview_end";
    in_body_ = false;
    return want_rest_;
  }
  void request_end(bool ieof) override {
    text += ieof ? "\nend ieof" : "\nend";
    in_body_ = false;
  }

 private:
  bool want_rest_;
  bool in_body_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t selector = data[0];
  const std::span<const std::uint8_t> stream(data + 1, size - 1);
  const bool want_rest = (selector & 1) != 0;
  const std::size_t piece = 1u + static_cast<std::size_t>(selector >> 1);

  Transcript whole(want_rest);
  dijk::icap::IcapParser whole_parser(whole);
  whole_parser.feed(stream);

  Transcript cut(want_rest);
  dijk::icap::IcapParser cut_parser(cut);
  for (std::size_t at = 0; at < stream.size() && !cut_parser.failed(); at += piece) {
    cut_parser.feed(stream.subspan(at, std::min(piece, stream.size() - at)));
  }

  if (whole_parser.failed() != cut_parser.failed()) __builtin_trap();
  if (whole_parser.failed() && whole_parser.error() != cut_parser.error()) __builtin_trap();
  if (whole.text != cut.text) __builtin_trap();
  return 0;
}
