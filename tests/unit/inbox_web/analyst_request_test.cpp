// What the analysts' web view reads from a request is outside bytes: targets, headers and credentials are
// taken only in their exact forms; the tokens file is the hotline's, checked line by line.
#include "apps/dijk-hotline/inbox/web/analyst_request.h"

#include <gtest/gtest.h>

#include <vector>

#include "apps/dijk-hotline/inbox/web/analyst_tokens.h"

namespace dijk::web {
namespace {

TEST(AnalystRequest, TargetsDecodeTheirQuery) {
  const auto t = parse_target("/hits?appliance=box%2D1&list=a+b&hash=&since=7d");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/hits");
  EXPECT_EQ(t->query.at("appliance"), "box-1");
  EXPECT_EQ(t->query.at("list"), "a b");
  EXPECT_EQ(t->query.at("hash"), "");
  EXPECT_EQ(t->query.at("since"), "7d");
  EXPECT_EQ(parse_target("/fleet")->query.size(), 0u);
  EXPECT_EQ(parse_target("/hits?a=%3Cscript%3E")->query.at("a"), "<script>");
}

TEST(AnalystRequest, HostileTargetsAreRefused) {
  for (const char* bad :
       {"", "hits", "http://evil/hits", "/hits?a=%", "/hits?a=%4", "/hits?a=%zz", "/hits?a=1&a=2", "/hits?=x",
        "/hits?a=1&b=1&c=1&d=1&e=1&f=1&g=1&h=1&i=1&j=1&k=1&l=1&m=1&n=1&o=1&p=1&q=1"}) {
    EXPECT_FALSE(parse_target(bad)) << bad;
  }
}

TEST(AnalystRequest, HeadersAreFoundOnceOrNotAtAll) {
  const std::string head =
      "GET / HTTP/1.1\r\nHost: x\r\nAUTHORIZATION:  Basic YWxpY2U6c2VjcmV0  \r\nX-Authorization: no\r\n\r\n";
  EXPECT_EQ(header_value(head, "authorization"), "Basic YWxpY2U6c2VjcmV0");
  EXPECT_EQ(header_value(head, "host"), "x");
  EXPECT_FALSE(header_value(head, "cookie"));
  EXPECT_FALSE(header_value("GET / HTTP/1.1\r\nA: 1\r\nA: 2\r\n\r\n", "a"));  // which one? neither
  EXPECT_FALSE(header_value("GET /?authorization: x HTTP/1.1\r\n\r\n", "authorization"));
}

TEST(AnalystRequest, CredentialsInTheirTwoForms) {
  const auto basic =
      parse_authorization("Basic YWxpY2U6c2VjcmV0OndpdGg6Y29sb25z");  // alice:secret:with:colons
  ASSERT_TRUE(basic);
  EXPECT_EQ(basic->name, "alice");
  EXPECT_EQ(basic->secret, "secret:with:colons");
  const auto bearer = parse_authorization("bearer 0123456789abcdef");
  ASSERT_TRUE(bearer);
  EXPECT_EQ(bearer->name, "");
  EXPECT_EQ(bearer->secret, "0123456789abcdef");
  for (const std::string& bad : std::vector<std::string>{
           "", "Basic", "Basic ", "Basic !!!!", "Basic YWxpY2U", "Basic Og==", "Basic c2VjcmV0", "Bearer",
           "Bearer a b", "Digest username=x", "Basicfoo YWxpY2U6c2VjcmV0",
           std::string("Bearer ") + std::string(600, 'a')}) {
    EXPECT_FALSE(parse_authorization(bad)) << bad;
  }
}

TEST(AnalystTokens, SignInByNameAndSecretOrBySecretAlone) {
  const auto tokens = AnalystTokens::parse(
      "# analysts\nalice 0123456789abcdef0123\n\nbob  fedcba9876543210fedc  # on call\n", "tokens");
  EXPECT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens.authenticate({"alice", "0123456789abcdef0123"}), "alice");
  EXPECT_EQ(tokens.authenticate({"", "fedcba9876543210fedc"}), "bob");
  EXPECT_FALSE(tokens.authenticate({"bob", "0123456789abcdef0123"}));  // alice's secret, bob's name
  EXPECT_FALSE(tokens.authenticate({"alice", "0123456789abcdef012"}));
  EXPECT_FALSE(tokens.authenticate({"", ""}));
}

TEST(AnalystTokens, ABadFileIsRefusedByLine) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "names no analyst"},
      {"alice\n", "tokens:1: want NAME SECRET"},
      {"alice 0123456789abcdef extra\n", "tokens:1: want NAME SECRET"},
      {"ok 0123456789abcdef\nalice short\n", "tokens:2: a secret is 16 to"},
      {"<b> 0123456789abcdef\n", "a name is 1 to 64"},
      {"a 0123456789abcdef\na 0123456789abcdeg\n", "analyst a is given twice"},
  };
  for (const auto& [text, why] : cases) {
    try {
      AnalystTokens::parse(text, "tokens");
      ADD_FAILURE() << "accepted: " << text;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace dijk::web
