#pragma once
// What dijk learns about one file as its bytes stream past once: the digests the set can match (MD5,
// SHA-1, SHA-256, incremental, no whole-file buffer), the type sniffed from the first bytes, the size, and
// for images a bounded copy of the bytes for PDQ. Every ingress (wire uploads, file scan, the check API)
// fingerprints files with this one class. One per file in flight; reused for the next file without
// allocating.
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "dataplane/match/image_copy_budget.h"
#include "hashcore/digest/streaming_digests.h"
#include "hashcore/sniff/file_type.h"

namespace dijk::match {

// Why an image's bytes were not kept whole (counted by the callers).
enum class ImageCopy : std::uint8_t {
  kept,         // an image, copied whole
  not_wanted,   // not an image, or no copy was asked for
  too_large,    // over the per-file cap
  over_budget,  // the worker-wide cap was reached
};

struct FileFingerprint {
  DigestResults digests;  // of the algorithms the fingerprinter was started with
  std::uint64_t size = 0;
  FileType type = FileType::unknown;
};

class FileFingerprinter {
 public:
  // `images` null: no image bytes are ever kept.
  explicit FileFingerprinter(AlgorithmSet algorithms, ImageCopyBudget* images = nullptr);
  ~FileFingerprinter();
  FileFingerprinter(const FileFingerprinter&) = delete;
  FileFingerprinter& operator=(const FileFingerprinter&) = delete;
  FileFingerprinter(FileFingerprinter&&) noexcept = default;  // the copy and its budget share go along
  FileFingerprinter& operator=(FileFingerprinter&&) = delete;

  // Starts a new file, digesting `algorithms` (an empty set: size and type only).
  void start(AlgorithmSet algorithms);
  void update(std::span<const std::uint8_t> bytes);
  // A digest of this file computed elsewhere (the file scan hashes MD5 and SHA-1 of many files at once in
  // vector lanes): it joins the results of finish() as if computed here. Given before finish().
  void add_digest(const Digest& digest);
  // Ends the file: digests, size and type. The image copy stays readable until the next start().
  FileFingerprint finish();

  std::uint64_t size() const { return size_; }
  AlgorithmSet algorithms() const { return digests_.algorithms(); }
  ImageCopy image_copy() const { return image_state_; }
  // The whole file if it is an image that was kept; empty otherwise.
  std::span<const std::uint8_t> image() const;
  // Hands the kept copy over (to a queue); the budget is given back.
  std::vector<std::uint8_t> take_image();

 private:
  void sniff_head();
  void copy_image(std::span<const std::uint8_t> bytes);
  void drop_image(ImageCopy why);

  StreamingDigests digests_;
  DigestResults outside_;  // from add_digest, since start()
  ImageCopyBudget* budget_;
  std::uint64_t size_ = 0;
  std::array<std::uint8_t, kSniffBytes> head_{};
  std::size_t head_len_ = 0;
  bool sniffed_ = false;
  FileType type_ = FileType::unknown;
  ImageCopy image_state_ = ImageCopy::not_wanted;
  bool copying_ = false;  // an image whose copy is still growing
  std::vector<std::uint8_t> image_;
};

}  // namespace dijk::match
