#pragma once
// The feed's signed manifest: one text file, two signed blocks.
//
//   dijk-delegation 1            <- signed by the offline root key (pinned on appliances)
//   feed <name>
//   serial <n>                   key generation; appliances refuse serials below the highest seen
//   key <64 hex>                 the online feed key's Ed25519 public key
//   not-after <unix seconds>
//   sig <128 hex>
//   dijk-manifest 1              <- signed by the feed key named above
//   feed <name>
//   version <n>                  strictly increasing
//   issued <unix seconds>
//   expires <unix seconds>       appliances refuse a manifest past this (a frozen feed)
//   key-serial <n>               must equal the delegation's serial
//   snapshot <file> <length> <sha256 hex>
//   delta <from> <to> <file> <length> <sha256 hex>     zero or more, to <= version
//   sig <128 hex>
//
// Each signature covers the exact bytes of its block from its first line up to (not including) its `sig`
// line. The parser treats every byte as hostile: size, line, count and name caps, strict integers, strict
// field order, printable ASCII only.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "control/feed/crypto.h"

namespace dijk::feed {

class FeedFormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr std::size_t kMaxManifestBytes = 64 * 1024;
inline constexpr std::size_t kMaxLineBytes = 512;
inline constexpr std::size_t kMaxDeltas = 64;
inline constexpr std::size_t kMaxNameBytes = 96;

struct Delegation {
  std::string feed;
  std::uint64_t serial = 0;
  PublicKey key{};
  std::int64_t not_after = 0;
};

struct FileEntry {
  std::string name;  // relative to the feed's base URL; [A-Za-z0-9._-], never starting with '.'
  std::uint64_t length = 0;
  Sha256 sha256{};
};

struct DeltaEntry {
  std::uint64_t from = 0;
  std::uint64_t to = 0;
  FileEntry file;
};

struct Manifest {
  std::string feed;
  std::uint64_t version = 0;
  std::int64_t issued = 0;
  std::int64_t expires = 0;
  std::uint64_t key_serial = 0;
  FileEntry snapshot;
  std::vector<DeltaEntry> deltas;
};

// The manifest file as parsed, signatures not yet checked.
struct ManifestFile {
  Delegation delegation;
  std::string delegation_signed;  // the exact bytes the root signature covers
  Signature delegation_sig{};
  Manifest manifest;
  std::string manifest_signed;
  Signature manifest_sig{};
};

std::string render_delegation(const Delegation& d);  // the block body, without its sig line
std::string render_manifest(const Manifest& m);
// Appends the `sig` line for `body` signed by `key`.
std::string sign_block(const std::string& body, const SigningKey& key);
// The full manifest file: a signed delegation block (as issued by the root) followed by the manifest
// signed by the feed key.
std::string assemble_manifest_file(const std::string& signed_delegation, const Manifest& m,
                                   const SigningKey& feed_key);

// Parses the whole file. Throws FeedFormatError with the line number and the reason.
ManifestFile parse_manifest_file(std::string_view bytes);
// Parses a standalone signed delegation block (the `delegation` file the root key holder issues).
ManifestFile parse_delegation_file(std::string_view bytes);

bool valid_file_name(std::string_view name);

}  // namespace dijk::feed
