// `dijkctl hash`: what dijk computes for a file, so an admin can check a list entry by hand.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <optional>
#include <vector>

#include "apps/dijkctl/verbs.h"
#include "dataplane/events/json_text.h"
#include "dataplane/filescan/scan_types.h"
#include "hashcore/digest/streaming_digests.h"
#include "hashcore/pdq/pdq_hasher.h"
#include "hashcore/sniff/file_type.h"
#include "hashcore/util/hex.h"
#include "hashcore/util/safe_text.h"

namespace dijk::ctl {
namespace {

struct FileFingerprint {
  std::uint64_t size = 0;
  FileType type = FileType::unknown;
  DigestResults digests;
  std::optional<PdqDihedralResult> pdq;  // images that decode
  image::DecodeStatus pdq_status = image::DecodeStatus::unsupported;
};

bool same_file_state(const struct stat& a, const struct stat& b) {
  return a.st_size == b.st_size && a.st_mtim.tv_sec == b.st_mtim.tv_sec &&
         a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

// `image` collects the file's bytes for PDQ (images need all of them); reused from file to file.
FileFingerprint fingerprint(const std::string& path, std::vector<std::uint8_t>& buffer,
                            std::vector<std::uint8_t>& image, PdqHasher& pdq) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) throw std::runtime_error(std::strerror(errno));
  struct stat before {};
  if (::fstat(fd, &before) != 0 || !S_ISREG(before.st_mode)) {
    ::close(fd);
    throw std::runtime_error("not a regular file");
  }
  StreamingDigests digests(AlgorithmSet::all());
  FileFingerprint fp;
  std::uint8_t head[kSniffBytes];
  std::size_t head_size = 0;
  image.clear();
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw std::runtime_error(std::strerror(err));
    }
    if (n == 0) break;
    const auto got = static_cast<std::size_t>(n);
    const std::size_t take = std::min(sizeof head - head_size, got);
    std::memcpy(head + head_size, buffer.data(), take);
    head_size += take;
    digests.update({buffer.data(), got});
    if (image.size() + got <= pdq.options().limits.max_file_bytes) {
      image.insert(image.end(), buffer.data(), buffer.data() + got);
    }
  }
  // A file written while read (shrunk, grown, rewritten) yields a digest of no state the file ever
  // had: refuse it, as scan does, rather than print a digest an admin would trust.
  struct stat after {};
  const bool stat_ok = ::fstat(fd, &after) == 0;
  ::close(fd);
  if (!stat_ok || !same_file_state(before, after) ||
      digests.bytes_seen() != static_cast<std::uint64_t>(before.st_size)) {
    throw std::runtime_error(scan_problem_name(ScanProblem::changed));
  }
  fp.size = digests.bytes_seen();
  fp.type = sniff_file_type({head, head_size});
  fp.digests = digests.finish();
  if (is_image(fp.type)) {
    fp.pdq = pdq.hash_file_bytes_dihedral(image);
    fp.pdq_status = pdq.last_status();
  }
  return fp;
}

std::string hex_of(const FileFingerprint& fp, Algorithm a) {
  const Digest& d = fp.digests.get(a);
  return to_hex({d.bytes.data(), d.size()});
}

int run_hash(const cli::ParsedArgs& args) {
  if (args.positional().empty()) throw cli::UsageError("no files given");
  const bool json = args.flag("--json");
  const bool dihedral = args.flag("--dihedral");
  std::vector<std::uint8_t> buffer(1 << 20);
  std::vector<std::uint8_t> image;
  PdqHasher pdq;
  int status = cli::kExitOk;
  for (const auto& path : args.positional()) {
    try {
      const FileFingerprint fp = fingerprint(path, buffer, image, pdq);
      if (json) {
        JsonObject o;
        o.add("path", path).add("size", fp.size).add("type", file_type_name(fp.type));
        for (Algorithm a : kAllAlgorithms) o.add(algorithm_name(a), hex_of(fp, a));
        if (fp.pdq) {
          o.add("pdq", fp.pdq->hashes[0].to_hex())
              .add("quality", static_cast<std::uint64_t>(fp.pdq->quality));
          for (int d = 1; dihedral && d < kPdqDihedralCount; ++d) {
            o.add("pdq_" + std::string(pdq_dihedral_name(static_cast<PdqDihedral>(d))),
                  fp.pdq->hashes[static_cast<std::size_t>(d)].to_hex());
          }
        } else if (is_image(fp.type)) {
          o.add("pdq_error", decode_status_name(fp.pdq_status));
        }
        std::cout << o.str() << "\n";
      } else {
        std::cout << printable_text(path) << "\n  size    " << fp.size << "\n  type    "
                  << file_type_name(fp.type) << "\n";
        for (Algorithm a : kAllAlgorithms) {
          std::string name(algorithm_name(a));
          name.resize(8, ' ');
          std::cout << "  " << name << hex_of(fp, a) << "\n";
        }
        if (fp.pdq) {
          std::cout << "  pdq     " << fp.pdq->hashes[0].to_hex() << "\n  quality " << fp.pdq->quality
                    << "\n";
          for (int d = 1; dihedral && d < kPdqDihedralCount; ++d) {
            std::string name(pdq_dihedral_name(static_cast<PdqDihedral>(d)));
            name.resize(12, ' ');
            std::cout << "    " << name << fp.pdq->hashes[static_cast<std::size_t>(d)].to_hex() << "\n";
          }
        } else if (is_image(fp.type)) {
          std::cout << "  pdq     (not decoded: " << decode_status_name(fp.pdq_status) << ")\n";
        }
      }
    } catch (const std::exception& e) {
      if (json) {
        std::cout << JsonObject().add("path", path).add("error", e.what()).str() << "\n";
      } else {
        std::cerr << "dijkctl hash: " << printable_text(path) << ": " << e.what() << "\n";
      }
      status = cli::kExitError;
    }
  }
  return status;
}

}  // namespace

cli::Verb hash_verb() {
  return {
      "hash",
      "print each file's size, type and digests",
      "hash [--json] [--dihedral] FILE...",
      "Prints size, type (by magic bytes), MD5, SHA-1 and SHA-256 of each file, and for images (JPEG,\n"
      "PNG, GIF, WebP) the PDQ hash and its quality (0-100; below 50 it is never matched). With\n"
      "--dihedral also the PDQ hashes of the image rotated and mirrored. With --json, one object a line\n"
      "with the keys path, size, type, md5, sha1, sha256 (pdq, quality; pdq_error if it did not decode);\n"
      "a file that cannot be hashed gets {\"path\", \"error\"} instead. A file that changes while it is\n"
      "read is refused (\"changed while read\"). Exit status: 0 all hashed, 2 some could not be.",
      {{"--json", false, "one JSON object a line", ""},
       {"--dihedral", false, "also print the 7 rotated/mirrored PDQ hashes", ""}},
      run_hash};
}

}  // namespace dijk::ctl
