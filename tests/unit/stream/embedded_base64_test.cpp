// Files carried as base64 inside request bodies, end to end through the stream stage: JSON string values
// (either alphabet, padded or not, line breaks as JSON escapes, "\/", data: URIs) and urlencoded form values
// are decoded and matched as files named by their field. A body that is JSON by its first byte is not
// hashed as sent (only its values are); any other body, forms included, still is.
// Hostile bodies (bad base64, JSON 10,000 deep, a truncated document, a 50 MB body, a lost segment) are
// counted, never matched, and the next request on the connection is still parsed.
#include <malloc.h>

#include "dataplane/http/http_upload_parser.h"
#include "tests/support/base64_text.h"
#include "tests/support/compress.h"
#include "tests/unit/stream/stream_test_support.h"

namespace dijk::test {
namespace {

std::string request(std::string_view uri, std::string_view content_type, std::string_view body) {
  return "POST " + std::string(uri) +
         " HTTP/1.1\r\nHost: api.example\r\nContent-Type: " + std::string(content_type) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

std::string json_escaped(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '/') {
      out += "\\/";  // as PHP's json_encode writes it
    } else {
      out += c;
    }
  }
  return out;
}

std::string percent_encoded(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

// One connection carrying `requests` (each answered 200), then closed.
void upload(Harness& h, const std::vector<std::string>& requests, std::uint16_t client_port = 42000,
            std::size_t mss = 1460) {
  std::vector<OwnedSegment> segs;
  Connection c(segs, client_tuple(0x0a000011, client_port));
  c.handshake();
  for (const auto& r : requests) {
    c.send(0, r, mss);
    c.send(1, kOkResponse);
  }
  c.close();
  h.run(segs);
}

std::vector<std::uint8_t> bytes_of_string(const std::string& s) {
  return {s.begin(), s.end()};
}

TEST(EmbeddedBase64, JsonValuesInEveryStyleAreFilesNamedByTheirKey) {
  TempSet sets;
  const auto a = synthetic_file(30'000, 41), b = synthetic_file(20'001, 42, true),
             c = synthetic_file(9'002, 43), d = synthetic_file(5'000, 44);
  const std::string json1 = R"({"user": "alice", "photo": ")" +
                            json_escaped(base64_text(a, {.wrap = 76, .newline = "\r\n"})) + R"(", "n": 3})";
  const std::string json2 = R"({"meta": {"tags": ["x"]}, "items": [{"thumb": ")" +
                            base64_text(b, {.url_safe = true, .padding = false}) + R"("}]})";
  const std::string json3 =
      R"({"avatar": "data:image/jpeg;base64,)" + json_escaped(base64_text(c, {.wrap = 64})) + R"("})";
  // Labelled text/plain: JSON is known by its first byte, not its label.
  const std::string json4 = "\n  [\"" + base64_text(d) + "\"]";
  // At 7 bytes a segment too: every boundary falls somewhere inside an escape, a group, the data: header.
  for (const std::size_t mss : {std::size_t{1460}, std::size_t{7}}) {
    Harness run;
    run.pipeline.set_hash_set(sets.build({a, b, c, d}));
    upload(
        run,
        {request("/api/photo", "application/json", json1), request("/api/thumb", "application/json", json2),
         request("/api/avatar", "application/json; charset=utf-8", json3),
         request("/api/raw", "text/plain", json4)},
        42000, mss);
    EXPECT_EQ(run.hits(), md5_sha1_keys({a, b, c, d})) << "mss " << mss;
    std::set<std::string> names;
    for (const auto& e : run.sink.hits) names.insert(e.filename);
    EXPECT_EQ(names, (std::set<std::string>{"photo", "thumb", "avatar", ""})) << "mss " << mss;
    EXPECT_EQ(run.c().embedded_files, 4u);
    EXPECT_EQ(run.c().http_json_bodies, 4u);  // the text/plain one too: JSON by its first byte
    EXPECT_EQ(run.c().files, 4u);             // the decoded values only: no JSON body is hashed as sent
    EXPECT_EQ(run.c().truncated_files, 0u);
    EXPECT_EQ(run.c().dropped(DropReason::json_malformed), 0u);
  }
}

TEST(EmbeddedBase64, AJsonBodyIsNotHashedAsSentOnlyItsValuesAre) {
  TempSet sets;
  const auto a = synthetic_file(4'000, 45);
  const std::string json = R"({"image": ")" + base64_text(a) + R"("})";
  Harness h;
  h.pipeline.set_hash_set(sets.build({bytes_of_string(json)}));  // the JSON document is listed, not the image
  upload(h, {request("/api/upload.json", "application/json", json),
             request("/api/upload.json", "text/plain", " \r\n\t" + json)});
  EXPECT_TRUE(h.sink.hits.empty());  // a JSON text is never a listed image: never a hit by itself
  EXPECT_EQ(h.c().http_json_bodies, 2u);
  EXPECT_EQ(h.c().embedded_files, 2u);
  EXPECT_EQ(h.c().files, 2u);
}

TEST(EmbeddedBase64, BodiesThatAreNotJsonByTheirBytesAreStillHashedAsSent) {
  TempSet sets;
  const auto jpeg = synthetic_file(6'000, 62, true);
  std::string after_blanks = "\r\n \t";
  after_blanks.append(jpeg.begin(), jpeg.end());
  // Past JsonBodySniffer::kMaxLeadingBlank of whitespace a body is hashed as sent, even one that is JSON.
  const std::string long_blank = std::string(300, ' ') + R"({"image": "x"})";
  const std::string blank_only = "\n\n  \n";
  const std::string labelled = R"("a top-level string, labelled JSON")";
  const std::vector<std::vector<std::uint8_t>> listed = {
      jpeg, bytes_of_string(after_blanks), bytes_of_string(long_blank), bytes_of_string(blank_only),
      bytes_of_string(labelled)};
  for (const std::size_t mss : {std::size_t{1460}, std::size_t{3}}) {
    Harness h;
    h.pipeline.set_hash_set(sets.build(listed));
    upload(
        h,
        {request("/photo.jpg", "application/json", std::string(jpeg.begin(), jpeg.end())),
         request("/blank.jpg", "application/json", after_blanks), request("/long", "text/plain", long_blank),
         request("/blank", "application/json", blank_only), request("/string", "application/json", labelled)},
        42000, mss);
    EXPECT_EQ(h.hits(), md5_sha1_keys(listed)) << "mss " << mss;
    EXPECT_EQ(h.c().http_json_bodies, 0u) << "mss " << mss;
    EXPECT_EQ(h.c().files, 5u) << "mss " << mss;
    EXPECT_EQ(h.c().truncated_files, 0u) << "mss " << mss;
  }
}

TEST(EmbeddedBase64, UrlencodedFormValuesAreDecoded) {
  TempSet sets;
  const auto a = synthetic_file(12'000, 46), b = synthetic_file(3'000, 47);
  Harness h;
  h.pipeline.set_hash_set(sets.build({a, b}));
  // As `curl --data-urlencode image@photo.b64` sends it (base64 wrapped at 76, every "+/=\n" escaped), and
  // a field whose "+" were not escaped at all.
  const std::string form1 = "title=holiday&image=" + percent_encoded(base64_text(a, {.wrap = 76})) + "&x=1";
  const std::string form2 = "second=" + base64_text(b, {.padding = false});
  upload(h, {request("/form", "application/x-www-form-urlencoded", form1),
             request("/form", "application/x-www-form-urlencoded", form2)});
  EXPECT_EQ(h.hits(), md5_sha1_keys({a, b}));
  std::set<std::string> names;
  for (const auto& e : h.sink.hits) names.insert(e.filename);
  EXPECT_EQ(names, (std::set<std::string>{"image", "second"}));
  EXPECT_EQ(h.c().embedded_files, 2u);
}

TEST(EmbeddedBase64, MultipartTextFieldsAreDecodedToo) {
  TempSet sets;
  const auto a = synthetic_file(15'000, 59), b = synthetic_file(7'000, 60), file = synthetic_file(9'000, 61);
  std::string cut = base64_text(b);
  cut[3000] = '!';
  // `curl -F image=<photo.b64 -F title=x -F photo=@photo.jpg`: base64(1) output as a text field.
  const std::string body =
      multipart_body("zz", {{"title", "holiday"}, {"image", base64_text(a, {.wrap = 76})}, {"broken", cut}},
                     {{"photo.jpg", file}});
  Harness h;
  h.pipeline.set_hash_set(sets.build({a, b, file}));
  upload(h, {multipart_request("/up", "api.example", "zz", body)});
  EXPECT_EQ(h.hits(), md5_sha1_keys({a, file}));
  std::set<std::string> names;
  for (const auto& e : h.sink.hits) names.insert(e.filename);
  EXPECT_EQ(names, (std::set<std::string>{"image", "photo.jpg"}));
  EXPECT_EQ(h.c().embedded_files, 2u);
  EXPECT_EQ(h.c().dropped(DropReason::base64_malformed), 1u);
  EXPECT_EQ(h.c().truncated_files, 1u);
}

TEST(EmbeddedBase64, ShortValuesAndBinaryFormsAreNotDecoded) {
  TempSet sets;
  const auto a = synthetic_file(600, 48);  // 800 characters of base64: under the 1 KiB floor
  const auto jpeg = synthetic_file(20'000, 49);
  Harness h;
  h.pipeline.set_hash_set(sets.build({a, jpeg}));
  std::string words;  // 1.2 KiB of letters and spaces: text, though every byte could be in base64
  while (words.size() < 1200) words += "lorem ipsum dolor sit amet ";
  upload(h,
         {request("/api", "application/json",
                  R"({"small": ")" + base64_text(a) + R"(", "id": "deadbeef", "text": ")" + words + R"("})"),
          // curl --data-binary @photo.jpg: a JPEG labelled as a form, hashed as sent, no value in it
          request("/photo.jpg", "application/x-www-form-urlencoded", std::string(jpeg.begin(), jpeg.end()))});
  EXPECT_EQ(h.hits(), md5_sha1_keys({jpeg}));
  EXPECT_EQ(h.c().embedded_files, 0u);
  EXPECT_EQ(h.c().files, 1u);  // the JPEG; the JSON body is not hashed as sent
  // But a data: URI is taken at any length (and only one that starts with "data:").
  Harness h2;
  h2.pipeline.set_hash_set(sets.build({a}));
  upload(h2, {request("/api", "application/json",
                      R"({"small": "DxtA:image/gif;base64,)" + base64_text(a) + "\"}")});
  EXPECT_TRUE(h2.sink.hits.empty());
  EXPECT_EQ(h2.c().embedded_files, 0u);
  upload(
      h2,
      {request("/api", "application/json", R"({"small": "data:image/gif;base64,)" + base64_text(a) + "\"}")},
      42002);
  EXPECT_EQ(h2.hits(), md5_sha1_keys({a}));
}

TEST(EmbeddedBase64, GzippedJsonIsInflatedThenScanned) {
  TempSet sets;
  const auto a = synthetic_file(25'000, 50);
  const std::string json = R"({"image": ")" + base64_text(a) + R"("})";
  const auto gz = gzipped(bytes_of_string(json));
  std::string r =
      "POST /api HTTP/1.1\r\nHost: api.example\r\nContent-Type: application/json\r\n"
      "Content-Encoding: gzip\r\nContent-Length: " +
      std::to_string(gz.size()) + "\r\n\r\n";
  r.append(gz.begin(), gz.end());
  Harness h;
  h.pipeline.set_hash_set(sets.build({a}));
  upload(h, {r});
  EXPECT_EQ(h.hits(), md5_sha1_keys({a}));
}

TEST(EmbeddedBase64, InvalidBase64IsCountedNeverMatchedAndTheConnectionGoesOn) {
  TempSet sets;
  const auto a = synthetic_file(10'000, 51), after = synthetic_file(8'000, 52);
  std::string text = base64_text(a);
  text[5000] = '*';  // past the first KiB, so it is taken as base64 and fails while decoding
  const std::string bad_tail = base64_text(a) + "Q";  // a lone last character
  std::string bad_padding = base64_text(a);
  bad_padding.insert(2000, "==");
  Harness h;
  h.pipeline.set_hash_set(sets.build({a, after}));
  upload(h, {request("/1", "application/json", R"({"img": ")" + text + R"("})"),
             request("/2", "application/json", R"({"img": ")" + bad_tail + R"("})"),
             request("/3", "application/x-www-form-urlencoded", "img=" + bad_padding),
             request("/4", "application/json", R"({"img": ")" + base64_text(after) + R"("})")});
  EXPECT_EQ(h.hits(), md5_sha1_keys({after}));
  EXPECT_EQ(h.c().dropped(DropReason::base64_malformed), 3u);
  EXPECT_EQ(h.c().truncated_files, 3u);
  EXPECT_EQ(h.c().http_requests, 4u);
}

TEST(EmbeddedBase64, DeepTruncatedAndBrokenJsonIsCountedAndTheConnectionGoesOn) {
  TempSet sets;
  const auto a = synthetic_file(10'000, 53), after = synthetic_file(8'000, 54);
  std::string deep;
  for (int i = 0; i < 10'000; ++i) deep += "{\"a\":[";
  deep += "\"" + base64_text(a) + "\"";
  for (int i = 0; i < 10'000; ++i) deep += "]}";
  const std::string truncated = R"({"img": ")" + base64_text(a);  // Content-Length agrees: the JSON is cut
  const std::string broken = R"({"img": ")" + base64_text(a) + R"(" "x": 1})";
  Harness h;
  h.pipeline.set_hash_set(sets.build({a, after}));
  upload(h, {request("/deep", "application/json", deep), request("/cut", "application/json", truncated),
             request("/broken", "application/json", broken),
             request("/after", "application/json", R"({"img": ")" + base64_text(after) + R"("})")});
  // The broken document's value was whole before the JSON broke: its file is matched, the rest is not
  // looked at. The deep one's value is never reached; the truncated one's is cut.
  EXPECT_EQ(h.hits(), md5_sha1_keys({a, after}));
  EXPECT_EQ(h.c().dropped(DropReason::json_too_deep), 1u);
  EXPECT_EQ(h.c().dropped(DropReason::json_malformed), 2u);
  EXPECT_EQ(h.c().truncated_files, 1u);  // the cut value
  EXPECT_EQ(h.c().http_requests, 4u);
  EXPECT_EQ(h.c().embedded_files, 3u);
}

TEST(EmbeddedBase64, LostSegmentInsideAValueTruncatesItAndTheNextRequestHits) {
  TempSet sets;
  const auto a = synthetic_file(40'000, 55), after = synthetic_file(8'000, 56);
  Harness h;
  h.pipeline.set_hash_set(sets.build({a, after}));
  std::vector<OwnedSegment> segs;
  Connection c(segs, client_tuple(0x0a000012, 42001));
  c.handshake();
  c.send(0, request("/a", "application/json", R"({"img": ")" + base64_text(a) + R"("})"));
  c.send(1, kOkResponse);
  c.send(0, request("/b", "application/json", R"({"img": ")" + base64_text(after) + R"("})"));
  c.send(1, kOkResponse);
  c.close();
  segs.erase(segs.begin() + 12);  // a segment in the middle of the first value
  h.run(segs);
  EXPECT_EQ(h.hits(), md5_sha1_keys({after}));
  EXPECT_EQ(h.c().truncated_files, 1u);  // the first value (its JSON body is no file of its own)
  EXPECT_EQ(h.c().dropped(DropReason::base64_malformed), 0u);
  EXPECT_EQ(h.c().dropped(DropReason::json_malformed), 0u);
}

// A sink that keeps only a digest of each file: what a 50 MB body needs to be checked without holding it.
class DigestingSink : public UploadSink {
 public:
  void begin_file(const UploadInfo& info, std::uint64_t) override {
    names.emplace_back(info.filename);
    digests.reset();
  }
  void file_data(std::span<const std::uint8_t> bytes) override { digests.update(bytes); }
  void end_file(bool complete, std::uint64_t) override {
    const auto r = digests.finish();
    const auto& m = r.get(Algorithm::md5);
    md5s.push_back(to_hex({m.bytes.data(), m.size()}) + (complete ? "" : "!"));
  }
  StreamingDigests digests{AlgorithmSet{}.add(Algorithm::md5)};
  std::vector<std::string> names, md5s;
};

TEST(EmbeddedBase64, FiftyMegabyteJsonBodyStreamsInBoundedMemory) {
  // The body is made and fed 4 KiB at a time; the decoded file's MD5 is computed as it is made.
  constexpr std::size_t kRawChunk = 3 * 1024;  // 4 KiB of base64, no padding inside
  constexpr std::size_t kChunks = 12'800;      // 37.5 MiB decoded, 50 MiB of base64
  const std::string head = R"({"name": "big", "image": ")";
  const std::string tail = R"("})";
  const std::uint64_t body_size = head.size() + kChunks * 4096 + tail.size();
  const std::string request_head =
      "POST /api/big HTTP/1.1\r\nHost: api.example\r\nContent-Type: application/json"
      "\r\nContent-Length: " +
      std::to_string(body_size) + "\r\n\r\n";
  HttpParserConfig config;
  StreamCounters counters;
  DigestingSink body, embedded;
  HttpUploadParser parser(config, body, counters, &embedded);
  StreamingDigests expected(AlgorithmSet{}.add(Algorithm::md5));
  const auto feed = [&](std::string_view s) {
    parser.request_data({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}, 1);
  };
  feed(request_head);
  feed(head);
  std::mt19937_64 rng(57);
  std::vector<std::uint8_t> chunk(kRawChunk);
  const std::size_t heap_before = mallinfo2().uordblks;
  std::size_t heap_peak = heap_before;
  for (std::size_t i = 0; i < kChunks; ++i) {
    for (auto& b : chunk) b = static_cast<std::uint8_t>(rng());
    expected.update(chunk);
    feed(base64_text(chunk));
    if (i % 256 == 0) heap_peak = std::max(heap_peak, mallinfo2().uordblks);
  }
  feed(tail);
  // The next request on the connection is parsed as usual.
  const auto small = synthetic_file(2'000, 58);
  feed(request("/api/next", "application/json", R"({"next": ")" + base64_text(small) + R"("})"));
  parser.close(2);
  const auto r = expected.finish();
  const auto& m = r.get(Algorithm::md5);
  const auto s = digest_buffer(AlgorithmSet{}.add(Algorithm::md5), small).get(Algorithm::md5);
  ASSERT_EQ(embedded.md5s.size(), 2u);
  EXPECT_EQ(embedded.md5s[0], to_hex({m.bytes.data(), m.size()}));
  EXPECT_EQ(embedded.md5s[1], to_hex({s.bytes.data(), s.size()}));
  EXPECT_EQ(embedded.names, (std::vector<std::string>{"image", "next"}));
  EXPECT_TRUE(body.md5s.empty());  // JSON bodies: only their values are files
  EXPECT_EQ(counters.embedded_files, 2u);
  EXPECT_EQ(counters.http_requests, 2u);
  EXPECT_LT(heap_peak - heap_before, 1u << 20);  // nothing near the body's size is held
}

}  // namespace
}  // namespace dijk::test
