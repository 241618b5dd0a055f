// The streaming multipart splitter on its own: every way of cutting the body gives the same parts.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dataplane/http/multipart_splitter.h"

namespace dijk {
namespace {

struct Part {
  MultipartPartHeaders headers;
  std::string data;
  bool complete = false;
  bool ended = false;
};

class Recorder : public MultipartHandler {
 public:
  void part_begin(const MultipartPartHeaders& h) override { parts.push_back({h, {}, false, false}); }
  void part_data(std::span<const std::uint8_t> b) override { parts.back().data.append(b.begin(), b.end()); }
  void part_end(bool complete) override {
    parts.back().complete = complete;
    parts.back().ended = true;
  }
  std::vector<Part> parts;
};

const std::string kBody =
    "preamble to ignore\r\n"
    "--AaB03x\r\n"
    "Content-Disposition: form-data; name=\"submit-name\"\r\n\r\n"
    "Larry\r\n"
    "--AaB03x\r\n"
    "Content-Disposition: form-data; name=\"files\"; filename=\"file1.txt\"\r\n"
    "Content-Type: text/plain\r\n\r\n"
    "... contents of file1.txt ...\r\n--AaB03 almost a boundary\r\n-\r\n"
    "--AaB03x  \r\n"
    "content-disposition: form-data; name=\"f2\"; filename*=UTF-8''na%C3%AFve%20name.bin\r\n\r\n"
    "\r\n\r\n--\r\n"
    "\r\n--AaB03x--\r\nepilogue";

void check(const std::vector<Part>& parts) {
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].headers.name, "submit-name");
  EXPECT_FALSE(parts[0].headers.has_filename);
  EXPECT_EQ(parts[0].data, "Larry");
  EXPECT_EQ(parts[1].headers.filename, "file1.txt");
  EXPECT_EQ(parts[1].headers.content_type, "text/plain");
  EXPECT_EQ(parts[1].data, "... contents of file1.txt ...\r\n--AaB03 almost a boundary\r\n-");
  EXPECT_EQ(parts[2].headers.filename, "na\xC3\xAFve name.bin");
  EXPECT_EQ(parts[2].data, "\r\n\r\n--\r\n");
  for (const auto& p : parts) EXPECT_TRUE(p.complete && p.ended);
}

TEST(MultipartSplitter, WholeBody) {
  Recorder r;
  MultipartSplitter s("AaB03x", r);
  s.feed({reinterpret_cast<const std::uint8_t*>(kBody.data()), kBody.size()});
  EXPECT_TRUE(s.finish(true));
  check(r.parts);
}

TEST(MultipartSplitter, EverySplitPointAndByteByByte) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(kBody.data());
  for (std::size_t cut = 0; cut <= kBody.size(); ++cut) {
    Recorder r;
    MultipartSplitter s("AaB03x", r);
    s.feed({p, cut});
    s.feed({p + cut, kBody.size() - cut});
    EXPECT_TRUE(s.finish(true)) << cut;
    check(r.parts);
  }
  Recorder r;
  MultipartSplitter s("AaB03x", r);
  for (std::size_t i = 0; i < kBody.size(); ++i) s.feed({p + i, 1});
  EXPECT_TRUE(s.finish(true));
  check(r.parts);
}

TEST(MultipartSplitter, BodyStartingWithDelimiterAndCutShort) {
  const std::string body = "--b\r\nContent-Disposition: form-data; name=a; filename=x.jpg\r\n\r\nabcdef";
  Recorder r;
  MultipartSplitter s("b", r);
  s.feed({reinterpret_cast<const std::uint8_t*>(body.data()), body.size()});
  EXPECT_FALSE(s.finish(true));  // complete body without a closing delimiter: malformed
  ASSERT_EQ(r.parts.size(), 1u);
  EXPECT_EQ(r.parts[0].headers.filename, "x.jpg");
  EXPECT_FALSE(r.parts[0].complete);
}

TEST(MultipartSplitter, OversizedPartHeadersFail) {
  std::string body = "--b\r\nX: " + std::string(20000, 'a');
  Recorder r;
  MultipartSplitter s("b", r);
  s.feed({reinterpret_cast<const std::uint8_t*>(body.data()), body.size()});
  EXPECT_TRUE(s.malformed());
  EXPECT_TRUE(r.parts.empty());
}

TEST(MultipartBoundary, FromContentType) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW"),
            "----WebKitFormBoundary7MA4YWxkTrZu0gW");
  EXPECT_EQ(multipart_boundary("Multipart/Form-Data;charset=utf-8; boundary=\"a b\""), "a b");
  EXPECT_EQ(multipart_boundary("multipart/mixed; boundary=x"), "");
  EXPECT_EQ(multipart_boundary("multipart/form-data"), "");
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'x')), "");
}

}  // namespace
}  // namespace dijk
