#include "dataplane/http/embedded_files.h"

#include <algorithm>
#include <cctype>

namespace dijk {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The media type of a Content-Type, lowercase, without parameters or blanks.
std::string media_type(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  while (!content_type.empty() && (content_type.back() == ' ' || content_type.back() == '\t'))
    content_type.remove_suffix(1);
  while (!content_type.empty() && (content_type.front() == ' ' || content_type.front() == '\t'))
    content_type.remove_prefix(1);
  return lower(content_type);
}

bool is_json_space(std::uint8_t c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

}  // namespace

bool is_json_type(std::string_view content_type) {
  const std::string t = media_type(content_type);
  return t == "application/json" || t == "text/json" || (t.size() > 5 && t.ends_with("+json"));
}

bool is_form_type(std::string_view content_type) {
  return media_type(content_type) == "application/x-www-form-urlencoded";
}

// ---- Base64ValueFiles

Base64ValueFiles::~Base64ValueFiles() {
  if (state_ == State::decoding) end_file(false);
}

void Base64ValueFiles::value_begin(std::string_view key) {
  if (state_ == State::decoding) end_file(false);  // defensive: a scanner always ends a value first
  name_.assign(key);
  media_type_.clear();
  head_.clear();
  state_ = State::sniffing;
}

void Base64ValueFiles::value_data(std::span<const std::uint8_t> bytes) {
  switch (state_) {
    case State::sniffing:
    case State::data_uri_header:
      sniff(bytes);
      break;
    case State::decoding:
      decode(bytes);
      break;
    case State::idle:
    case State::ignored:
      break;
  }
}

void Base64ValueFiles::value_end(bool complete) {
  if (state_ == State::decoding) {
    if (!complete) {
      end_file(false);  // cut off (a gap, broken JSON): its last group says nothing
    } else {
      const auto status =
          decoder_->finish([this](std::span<const std::uint8_t> out) { sink_.file_data(out); });
      if (status != Base64Decoder::Status::ok) counters_.drop(DropReason::base64_malformed);
      end_file(status == Base64Decoder::Status::ok);
    }
  }
  // A value still sniffed at its end is shorter than kMinBase64Chars (or an unfinished data: header).
  state_ = State::idle;
  head_.clear();
}

// The first bytes of a value, kept until they say whether it is base64: a "data:" prefix and its header up
// to the comma, or kMinBase64Chars bytes of base64 text. Byte by byte: it is at most that many per value.
void Base64ValueFiles::sniff(std::span<const std::uint8_t> bytes) {
  static constexpr std::string_view kData = "data:";
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const std::uint8_t c = bytes[i];
    if (state_ == State::data_uri_header) {
      if (c != ',') {
        if (head_.size() >= kMaxDataUriHeader) {
          state_ = State::ignored;
          return;
        }
        head_.push_back(static_cast<char>(c));
        continue;
      }
      // head_: "data:<type>[;param]...;base64". Only a base64 payload is a file here; a percent-encoded
      // data: URI is text.
      if (!lower(head_).ends_with(";base64")) {
        state_ = State::ignored;
        return;
      }
      const std::string type = head_.substr(kData.size(), head_.find(';') - kData.size());
      start_decoding(type, bytes.subspan(i + 1));
      return;
    }
    head_.push_back(static_cast<char>(c));
    const std::size_t n = head_.size();
    if (n <= kData.size() && std::tolower(c) == kData[n - 1] &&
        std::equal(head_.begin(), head_.end() - 1, kData.begin(),
                   [](char h, char d) { return std::tolower(static_cast<unsigned char>(h)) == d; })) {
      if (n == kData.size()) state_ = State::data_uri_header;
      continue;
    }
    // "d", "a", "t" are base64 letters: only this byte can be the first that is not. Of whitespace, only
    // line breaks: a long run of words and spaces is text, not a file.
    const std::uint8_t kind = Base64Decoder::class_of(c);
    if (kind == Base64Decoder::kBad || (kind == Base64Decoder::kSkip && c != '\n' && c != '\r')) {
      state_ = State::ignored;
      return;
    }
    if (n == kMinBase64Chars) {
      const std::string first = std::move(head_);
      start_decoding({}, {reinterpret_cast<const std::uint8_t*>(first.data()), first.size()});
      if (state_ == State::decoding) decode(bytes.subspan(i + 1));
      return;
    }
  }
}

void Base64ValueFiles::start_decoding(std::string_view media_type, std::span<const std::uint8_t> first) {
  media_type_.assign(media_type);
  head_.clear();
  if (!decoder_) decoder_ = std::make_unique<Base64Decoder>();
  *decoder_ = Base64Decoder{};
  UploadInfo info = request_;
  info.filename = name_;
  info.content_type = media_type_;
  sink_.begin_file(info, now_ns_);
  ++counters_.embedded_files;
  state_ = State::decoding;
  decode(first);
}

void Base64ValueFiles::decode(std::span<const std::uint8_t> text) {
  const auto status =
      decoder_->feed(text, [this](std::span<const std::uint8_t> out) { sink_.file_data(out); });
  if (status == Base64Decoder::Status::ok) return;
  counters_.drop(DropReason::base64_malformed);
  end_file(false);
  state_ = State::ignored;  // the rest of the value is not looked at
}

void Base64ValueFiles::end_file(bool complete) {
  sink_.end_file(complete, now_ns_);
  state_ = State::ignored;
}

// ---- EmbeddedFiles

EmbeddedFiles::EmbeddedFiles(UploadSink& sink, StreamCounters& counters, const UploadInfo& request)
    : counters_(counters),
      values_(sink, counters, request),
      json_label_(is_json_type(request.content_type)),
      form_label_(is_form_type(request.content_type)) {}

EmbeddedFiles::~EmbeddedFiles() = default;

void EmbeddedFiles::decide(std::uint8_t first) {
  if (first == '{' || first == '[' || json_label_) {
    kind_ = Kind::json;
    json_.emplace(values_);
  } else if (form_label_) {
    kind_ = Kind::form;
    form_.emplace(values_);
  } else {
    kind_ = Kind::none;
  }
}

void EmbeddedFiles::stop_json(JsonStringScanner::Status status) {
  counters_.drop(status == JsonStringScanner::Status::too_deep ? DropReason::json_too_deep
                                                               : DropReason::json_malformed);
  kind_ = Kind::none;
}

void EmbeddedFiles::feed(std::span<const std::uint8_t> bytes, std::uint64_t time_ns) {
  values_.set_time(time_ns);
  if (kind_ == Kind::undecided) {
    // Leading whitespace says nothing (and is valid JSON); the first other byte decides.
    while (!bytes.empty() && is_json_space(bytes.front())) bytes = bytes.subspan(1);
    if (bytes.empty()) return;
    decide(bytes.front());
  }
  if (kind_ == Kind::json) {
    const auto status = json_->feed(bytes);
    if (status != JsonStringScanner::Status::ok) stop_json(status);
  } else if (kind_ == Kind::form) {
    if (!form_->feed(bytes)) kind_ = Kind::none;  // not a form after all: nothing to count
  }
}

void EmbeddedFiles::lose(std::uint64_t time_ns) {
  values_.set_time(time_ns);
  if (kind_ == Kind::json) {
    // Nothing after the hole can be placed: a value in progress ends incomplete, with no complaint.
    values_.value_end(false);
  } else if (kind_ == Kind::form) {
    form_->finish(false);
  }
  kind_ = Kind::none;
}

void EmbeddedFiles::finish(bool complete, std::uint64_t time_ns) {
  values_.set_time(time_ns);
  if (kind_ == Kind::json) {
    if (!complete) {
      values_.value_end(false);
    } else if (const auto status = json_->finish(); status != JsonStringScanner::Status::ok) {
      stop_json(status);
    }
  } else if (kind_ == Kind::form) {
    form_->finish(complete);
  }
  values_.value_end(false);  // nothing is left open past the body
  kind_ = Kind::none;
}

}  // namespace dijk
