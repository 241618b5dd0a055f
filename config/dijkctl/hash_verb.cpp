// `dijkctl hash`: what dijk computes for a file, so an admin can check a list entry by hand.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <vector>

#include "config/dijkctl/verbs.h"
#include "dataplane/events/json_text.h"
#include "hashcore/digest/streaming_digests.h"
#include "hashcore/sniff/file_type.h"
#include "hashcore/util/hex.h"

namespace dijk::ctl {
namespace {

struct FileFingerprint {
  std::uint64_t size = 0;
  FileType type = FileType::unknown;
  DigestResults digests;
};

FileFingerprint fingerprint(const std::string& path, std::vector<std::uint8_t>& buffer) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) throw std::runtime_error(path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw std::runtime_error(path + ": not a regular file");
  }
  StreamingDigests digests(AlgorithmSet::all());
  FileFingerprint fp;
  std::uint8_t head[kSniffBytes];
  std::size_t head_size = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw std::runtime_error(path + ": " + std::strerror(err));
    }
    if (n == 0) break;
    const auto got = static_cast<std::size_t>(n);
    const std::size_t take = std::min(sizeof head - head_size, got);
    std::memcpy(head + head_size, buffer.data(), take);
    head_size += take;
    digests.update({buffer.data(), got});
  }
  ::close(fd);
  fp.size = digests.bytes_seen();
  fp.type = sniff_file_type({head, head_size});
  fp.digests = digests.finish();
  return fp;
}

std::string hex_of(const FileFingerprint& fp, Algorithm a) {
  const Digest& d = fp.digests.get(a);
  return to_hex({d.bytes.data(), d.size()});
}

int run_hash(const cli::ParsedArgs& args) {
  if (args.positional().empty()) throw cli::UsageError("no files given");
  const bool json = args.flag("--json");
  std::vector<std::uint8_t> buffer(1 << 20);
  int status = cli::kExitOk;
  for (const auto& path : args.positional()) {
    try {
      const FileFingerprint fp = fingerprint(path, buffer);
      if (json) {
        JsonObject o;
        o.add("path", path).add("size", fp.size).add("type", file_type_name(fp.type));
        for (Algorithm a : kAllAlgorithms) o.add(algorithm_name(a), hex_of(fp, a));
        std::cout << o.str() << "\n";
      } else {
        std::cout << path << "\n  size    " << fp.size << "\n  type    " << file_type_name(fp.type) << "\n";
        for (Algorithm a : kAllAlgorithms) {
          std::string name(algorithm_name(a));
          name.resize(8, ' ');
          std::cout << "  " << name << hex_of(fp, a) << "\n";
        }
      }
    } catch (const std::exception& e) {
      std::cerr << "dijkctl hash: " << e.what() << "\n";
      status = cli::kExitError;
    }
  }
  return status;
}

}  // namespace

cli::Verb hash_verb() {
  return {"hash",
          "print each file's size, type and digests",
          "hash [--json] FILE...",
          "Prints size, type (by magic bytes), MD5, SHA-1 and SHA-256 of each file. With --json, one\n"
          "object a line with the keys path, size, type, md5, sha1, sha256.",
          {{"--json", false, "one JSON object a line", ""}},
          run_hash};
}

}  // namespace dijk::ctl
