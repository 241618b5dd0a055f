#pragma once
// Whether a raw request body is a JSON text, told by its bytes as they stream: the first byte that is not
// JSON whitespace is "{" or "[" (whatever Content-Type says). A JSON body is not hashed as sent: a JSON
// text is never a listed image, and the files inside it (base64 values) are hashed as files of their own,
// so hashing it too would digest every embedded image 7/3 times over.
//
// Until that byte arrives the leading whitespace is held (at most kMaxLeadingBlank bytes), so that a body
// found not to be JSON is still hashed from its first byte. A body with more leading whitespace than that
// is taken as not JSON: hashed as sent, as before, which costs time and misses nothing.
//
// One per raw request body, owned by the connection's HttpUploadParser; runs on the worker that parses it.
#include <array>
#include <cstdint>
#include <span>

namespace dijk {

class JsonBodySniffer {
 public:
  enum class Verdict : std::uint8_t { undecided, json, other };
  static constexpr std::size_t kMaxLeadingBlank = 256;

  // Looks at the next bytes of the body, while undecided. When they leave it undecided (all whitespace),
  // they are held; otherwise none of them are, and the caller still has all of `bytes`.
  Verdict look(std::span<const std::uint8_t> bytes);
  Verdict verdict() const { return verdict_; }
  // The whitespace the body began with, held while undecided: the first bytes of a body that is not JSON.
  std::span<const std::uint8_t> held() const { return {held_.data(), held_size_}; }

 private:
  Verdict verdict_ = Verdict::undecided;
  std::size_t held_size_ = 0;
  std::array<std::uint8_t, kMaxLeadingBlank> held_{};
};

}  // namespace dijk
