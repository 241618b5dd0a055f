// The check API's body parsers with well-formed and hostile input: the upload (raw and multipart), the
// hash list and the PDQ query.
#include "apps/dijk-check/request_body.h"

#include <gtest/gtest.h>

#include <string>

namespace dijk::check {
namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string file_of(const UploadBody& b) {
  return {b.file().begin(), b.file().end()};
}

TEST(UploadBody, RawBodyIsTheFile) {
  UploadBody b("image/jpeg", 100);
  b.feed(bytes("abc"));
  b.feed(bytes("def"));
  EXPECT_EQ(b.finish(), UploadBody::Status::ok);
  EXPECT_EQ(file_of(b), "abcdef");
}

TEST(UploadBody, RawBodyOverTheCapIsTooLarge) {
  UploadBody b("", 4);
  b.feed(bytes("abc"));
  b.feed(bytes("de"));
  EXPECT_EQ(b.finish(), UploadBody::Status::too_large);
  EXPECT_TRUE(b.file().empty());
}

TEST(UploadBody, MultipartKeepsThePartNamedFileWhateverThePieceSize) {
  const std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"other\"; filename=\"a.txt\"\r\n\r\nnot this\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.jpg\"\r\n\r\nTHE FILE\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"later\"; filename=\"c.jpg\"\r\n\r\nnor "
      "this\r\n--XyZ--\r\n";
  for (std::size_t piece = 1; piece <= body.size(); piece += 7) {
    UploadBody b("multipart/form-data; boundary=XyZ", 1000);
    for (std::size_t at = 0; at < body.size(); at += piece) b.feed(bytes(body.substr(at, piece)));
    ASSERT_EQ(b.finish(), UploadBody::Status::ok) << "piece " << piece;
    EXPECT_EQ(file_of(b), "THE FILE");
    EXPECT_EQ(b.filename(), "b.jpg");
  }
}

TEST(UploadBody, HostileMultipartIsRefusedNotCrashed) {
  const std::string type = "multipart/form-data; boundary=XyZ";
  auto status_of = [&](const std::string& body, const std::string& content_type) {
    UploadBody b(content_type, 64);
    b.feed(bytes(body));
    return b.finish();
  };
  // Cut inside the file, no closing delimiter.
  EXPECT_EQ(status_of("--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc", type),
            UploadBody::Status::malformed);
  // No boundary parameter, or an empty one.
  EXPECT_EQ(status_of("x", "multipart/form-data"), UploadBody::Status::malformed);
  EXPECT_EQ(status_of("x", "multipart/form-data; boundary="), UploadBody::Status::malformed);
  // Only form fields.
  EXPECT_EQ(status_of("--XyZ\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\nv\r\n--XyZ--\r\n", type),
            UploadBody::Status::no_file);
  // Part headers that never end.
  EXPECT_EQ(status_of("--XyZ\r\n" + std::string(20000, 'h'), type), UploadBody::Status::malformed);
  // A file part larger than the cap.
  EXPECT_EQ(status_of("--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n" +
                          std::string(100, 'x') + "\r\n--XyZ--\r\n",
                      type),
            UploadBody::Status::too_large);
  // Garbage.
  EXPECT_EQ(status_of(std::string(1000, '\0'), type), UploadBody::Status::malformed);
}

TEST(HashList, EntriesAreAnsweredOneByOne) {
  const auto r = parse_hash_list(
      R"({"hashes": ["d41d8cd98f00b204e9800998ecf8427e", {"algorithm": "sha1", "hash": "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
          "zz", 7, {"algorithm": "crc", "hash": "00"}, "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427"]})",
      100);
  ASSERT_TRUE(r.error.empty()) << r.error;
  ASSERT_EQ(r.hashes.size(), 7u);
  EXPECT_EQ(r.hashes[0].algorithm, Algorithm::md5);
  EXPECT_EQ(r.hashes[0].digest().size(), 16u);
  EXPECT_EQ(r.hashes[1].algorithm, Algorithm::sha1);
  EXPECT_FALSE(r.hashes[2].error.empty());
  EXPECT_FALSE(r.hashes[3].error.empty());
  EXPECT_FALSE(r.hashes[4].error.empty());
  EXPECT_TRUE(r.hashes[5].error.empty());   // upper case hex is a hash too
  EXPECT_FALSE(r.hashes[6].error.empty());  // 31 digits
}

TEST(HashList, WrongShapesAndTooManyAreRefusedWhole) {
  EXPECT_FALSE(parse_hash_list("", 10).error.empty());
  EXPECT_FALSE(parse_hash_list("[\"a\"]", 10).error.empty());
  EXPECT_FALSE(parse_hash_list("{\"hashes\": 5}", 10).error.empty());
  EXPECT_FALSE(parse_hash_list("{\"hashes\": [", 10).error.empty());
  EXPECT_FALSE(parse_hash_list("{\"hashes\": [\"a\", \"b\", \"c\"]}", 2).error.empty());
}

TEST(PdqQuery, ThresholdAndHashAreChecked) {
  const std::string hash(64, 'a');
  const auto ok = parse_pdq_request("{\"hash\": \"" + hash + "\", \"threshold\": 10}");
  EXPECT_TRUE(ok.error.empty());
  EXPECT_EQ(ok.threshold, 10);
  EXPECT_EQ(parse_pdq_request("{\"hash\": \"" + hash + "\"}").threshold, 31);
  EXPECT_FALSE(parse_pdq_request("{\"hash\": \"" + hash + "\", \"threshold\": 65}").error.empty());
  EXPECT_FALSE(parse_pdq_request("{\"hash\": \"" + hash + "\", \"threshold\": \"7\"}").error.empty());
  EXPECT_FALSE(parse_pdq_request("{\"hash\": \"abc\"}").error.empty());
  EXPECT_FALSE(parse_pdq_request("null").error.empty());
}

}  // namespace
}  // namespace dijk::check
