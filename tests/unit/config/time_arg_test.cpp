// --since / --until: one syntax for every tool, always UTC.
#include "config/cli/time_arg.h"

#include <gtest/gtest.h>

namespace dijk::cli {
namespace {

constexpr std::int64_t kNow = 1'764'918'000;  // 2025-12-05T07:00:00Z

TEST(TimeArg, IsoDatesAndTimesAreUtc) {
  EXPECT_EQ(parse_time_arg("2025-12-05", kNow), kNow - 7 * 3600);
  EXPECT_EQ(parse_time_arg("2025-12-05T07:00", kNow), kNow);
  EXPECT_EQ(parse_time_arg("2025-12-05T07:00:15Z", kNow), kNow + 15);
  EXPECT_EQ(parse_time_arg("2025-12-05 07:00:15", kNow), kNow + 15);
  EXPECT_EQ(parse_time_arg("1970-01-01", kNow), 0);
  EXPECT_EQ(parse_time_arg("2024-02-29", kNow), 1'709'164'800);
  EXPECT_EQ(format_iso_utc(kNow + 15), "2025-12-05T07:00:15Z");
  EXPECT_EQ(parse_time_arg(format_iso_utc(1'234'567'890), kNow), 1'234'567'890);
}

TEST(TimeArg, RelativeTimesAreAgo) {
  EXPECT_EQ(parse_time_arg("90s", kNow), kNow - 90);
  EXPECT_EQ(parse_time_arg("45m", kNow), kNow - 45 * 60);
  EXPECT_EQ(parse_time_arg("2h", kNow), kNow - 7200);
  EXPECT_EQ(parse_time_arg("7d", kNow), kNow - 7 * 86400);
  EXPECT_EQ(parse_time_arg("2w", kNow), kNow - 14 * 86400);
  EXPECT_EQ(parse_time_arg("now", kNow), kNow);
  EXPECT_EQ(parse_time_arg("@17", kNow), 17);
}

TEST(TimeArg, HostileOrWrongTextIsAUsageErrorNamingTheOption) {
  for (const char* bad : {"", "yesterday", "2h30m", "-2h", "2025-13-01", "2025-02-29", "2025-12-05T24:00",
                          "2025-12-05T07", "2025-12-05T07:00:00:00", "1969-12-31", "@", "@-1", "@1x", "h",
                          "99999999999w", "2025-1a-05", "\xff\xfe", "2025-12-05X07:00"}) {
    try {
      (void)parse_time_arg(bad, kNow, "--since");
      ADD_FAILURE() << "accepted `" << bad << "`";
    } catch (const UsageError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("--since wants YYYY-MM-DD", 0), 0u) << e.what();
    }
  }
}

}  // namespace
}  // namespace dijk::cli
