#include "config/cli/time_arg.h"

#include <charconv>
#include <ctime>

#include "hashcore/util/safe_text.h"

namespace dijk::cli {
namespace {

UsageError time_error(const std::string& option, std::string_view text, const std::string& why) {
  return UsageError(option +
                    " wants YYYY-MM-DD[THH:MM[:SS]][Z] (UTC), a time ago (90s, 45m, 2h, 7d, 2w), now or "
                    "@SECONDS; got `" +
                    printable_text(text.substr(0, 64)) + "` (" + why + ")");
}

// Digits only, the whole view; nullopt-like -1 otherwise (every field here is non-negative).
long long digits(std::string_view s) {
  if (s.empty() || s.size() > 18) return -1;
  long long v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || v < 0) return -1;
  return v;
}

bool is_leap(long long y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

// Days from 1970-01-01 to the given civil date (proleptic Gregorian), without the C library's time zone.
long long days_from_civil(long long y, long long m, long long d) {
  y -= m <= 2 ? 1 : 0;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const long long yoe = y - era * 400;
  const long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::int64_t parse_iso(std::string_view s, const std::string& option) {
  const auto bad = [&](const std::string& why) { return time_error(option, s, why); };
  if (!s.empty() && (s.back() == 'Z' || s.back() == 'z')) s.remove_suffix(1);
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') throw bad("not a time");
  const long long y = digits(s.substr(0, 4));
  const long long mo = digits(s.substr(5, 2));
  const long long d = digits(s.substr(8, 2));
  if (y < 1970 || mo < 1 || mo > 12 || d < 1) throw bad("no such date");
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const long long month_days = kDays[mo - 1] + (mo == 2 && is_leap(y) ? 1 : 0);
  if (d > month_days) throw bad("no such date");
  long long h = 0, mi = 0, sec = 0;
  if (s.size() > 10) {
    if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || (s.size() != 16 && s.size() != 19) ||
        s[13] != ':' || (s.size() == 19 && s[16] != ':')) {
      throw bad("not a time of day");
    }
    h = digits(s.substr(11, 2));
    mi = digits(s.substr(14, 2));
    sec = s.size() == 19 ? digits(s.substr(17, 2)) : 0;
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60) throw bad("no such time of day");
  }
  return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
}

}  // namespace

std::int64_t parse_time_arg(std::string_view text, std::int64_t now, const std::string& option) {
  if (text == "now") return now;
  if (!text.empty() && text[0] == '@') {
    const long long v = digits(text.substr(1));
    if (v < 0) throw time_error(option, text, "not @SECONDS");
    return v;
  }
  if (text.size() >= 2 && text.size() <= 12) {
    const long long n = digits(text.substr(0, text.size() - 1));
    long long unit = 0;
    switch (text.back()) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      case 'w':
        unit = 7 * 86400;
        break;
      default:
        break;
    }
    if (n >= 0 && unit > 0) {
      if (n > now / unit) throw time_error(option, text, "before 1970");
      return now - n * unit;
    }
  }
  return parse_iso(text, option);
}

std::string format_iso_utc(std::int64_t t) {
  const auto tt = static_cast<std::time_t>(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace dijk::cli
