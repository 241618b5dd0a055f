#include "dataplane/match/file_fingerprint.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace dijk::match {

FileFingerprinter::FileFingerprinter(AlgorithmSet algorithms, ImageCopyBudget* images)
    : digests_(algorithms), budget_(images) {}

FileFingerprinter::~FileFingerprinter() {
  drop_image(ImageCopy::not_wanted);
}

void FileFingerprinter::start(AlgorithmSet algorithms) {
  if (digests_.algorithms().bits() != algorithms.bits())
    digests_ = StreamingDigests(algorithms);
  else
    digests_.reset();
  drop_image(ImageCopy::not_wanted);
  if (image_.capacity() > (1u << 20)) image_.shrink_to_fit();  // one huge image must not pin its buffer
  outside_ = DigestResults{};
  size_ = 0;
  head_len_ = 0;
  sniffed_ = false;
  type_ = FileType::unknown;
  image_state_ = ImageCopy::not_wanted;
}

void FileFingerprinter::update(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return;
  size_ += bytes.size();
  if (!digests_.algorithms().empty()) digests_.update(bytes);
  if (!sniffed_) {
    const std::size_t n = std::min(bytes.size(), kSniffBytes - head_len_);
    std::memcpy(head_.data() + head_len_, bytes.data(), n);
    head_len_ += n;
    if (head_len_ < kSniffBytes) return;  // everything so far is in head_
    sniff_head();
    bytes = bytes.subspan(n);
  }
  if (copying_ && !bytes.empty()) copy_image(bytes);
}

void FileFingerprinter::sniff_head() {
  sniffed_ = true;
  type_ = sniff_file_type({head_.data(), head_len_});
  if (budget_ == nullptr || !is_image(type_)) return;
  copying_ = true;
  image_state_ = ImageCopy::kept;
  image_.clear();
  copy_image({head_.data(), head_len_});
}

void FileFingerprinter::copy_image(std::span<const std::uint8_t> bytes) {
  if (image_.size() + bytes.size() > budget_->max_per_file()) return drop_image(ImageCopy::too_large);
  if (!budget_->try_take(bytes.size())) return drop_image(ImageCopy::over_budget);
  image_.insert(image_.end(), bytes.begin(), bytes.end());
}

void FileFingerprinter::drop_image(ImageCopy why) {
  if (budget_ != nullptr) budget_->give_back(image_.size());
  image_.clear();
  if (copying_) image_state_ = why;
  copying_ = false;
}

void FileFingerprinter::add_digest(const Digest& digest) {
  outside_.computed.add(digest.algorithm);
  outside_.by_algorithm[static_cast<std::size_t>(digest.algorithm)] = digest;
}

FileFingerprint FileFingerprinter::finish() {
  // A file shorter than the sniffed head is typed (and, if an image, copied) from what there is.
  if (!sniffed_) sniff_head();
  copying_ = false;  // the copy is complete: it stays until take_image() or the next start()
  FileFingerprint f;
  f.digests = digests_.finish();
  for (Algorithm a : kAllAlgorithms) {
    if (!outside_.computed.contains(a)) continue;
    f.digests.computed.add(a);
    f.digests.by_algorithm[static_cast<std::size_t>(a)] = outside_.get(a);
  }
  f.size = size_;
  f.type = type_;
  return f;
}

std::span<const std::uint8_t> FileFingerprinter::image() const {
  return image_state_ == ImageCopy::kept ? std::span<const std::uint8_t>(image_)
                                         : std::span<const std::uint8_t>{};
}

std::vector<std::uint8_t> FileFingerprinter::take_image() {
  if (image_state_ != ImageCopy::kept) return {};
  if (budget_ != nullptr) budget_->give_back(image_.size());
  image_state_ = ImageCopy::not_wanted;
  return std::exchange(image_, {});
}

}  // namespace dijk::match
