#include "core/time.h"

#include <cstdio>

namespace vigil {
namespace {

struct Civil {
  int64_t year;
  unsigned month, day;
};

Civil CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

std::string Format(Instant t, bool micros) {
  const int64_t days = FloorDiv(t, kMicrosPerDay);
  const int64_t rem = t - days * kMicrosPerDay;
  const Civil c = CivilFromDays(days);
  const int64_t secs = rem / kMicrosPerSecond;
  char buf[64];
  if (micros) {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%06lldZ",
                  static_cast<long long>(c.year), c.month, c.day,
                  static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                  static_cast<long long>(secs % 60),
                  static_cast<long long>(rem % kMicrosPerSecond));
  } else {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                  static_cast<long long>(c.year), c.month, c.day,
                  static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                  static_cast<long long>(secs % 60));
  }
  return buf;
}

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::string FormatUtc(Instant t) { return Format(t, false); }
std::string FormatUtcMicros(Instant t) { return Format(t, true); }

Result<Instant> ParseUtc(std::string_view s) {
  const std::string bad = "invalid UTC time \"" + std::string(s.substr(0, 64)) +
                          "\": expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ";
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!Digits(s, 0, 4, &y) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, &mo) ||
      s[7] != '-' || !Digits(s, 8, 2, &d)) {
    return Status::Invalid(bad);
  }
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1]) return Status::Invalid(bad);
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo == 2 && d == 29 && !leap) return Status::Invalid(bad);
  size_t pos = 10;
  int64_t micros = 0;
  int64_t offset_minutes = 0;
  if (pos < s.size()) {
    if ((s[pos] != 'T' && s[pos] != ' ') || !Digits(s, pos + 1, 2, &h) || s.size() < pos + 6 ||
        s[pos + 3] != ':' || !Digits(s, pos + 4, 2, &mi)) {
      return Status::Invalid(bad);
    }
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!Digits(s, pos + 1, 2, &sec)) return Status::Invalid(bad);
      pos += 3;
      if (pos < s.size() && s[pos] == '.') {
        ++pos;
        int64_t scale = 100000;
        size_t n = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
          if (n < 6) micros += (s[pos] - '0') * scale, scale /= 10;
          ++pos, ++n;
        }
        if (n == 0) return Status::Invalid(bad);
      }
    }
    if (pos >= s.size()) return Status::Invalid(bad);  // a time needs an explicit zone
    if (s[pos] == 'Z' || s[pos] == 'z') {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      int oh, om;
      if (!Digits(s, pos + 1, 2, &oh) || s.size() < pos + 6 || s[pos + 3] != ':' ||
          !Digits(s, pos + 4, 2, &om) || oh > 23 || om > 59) {
        return Status::Invalid(bad);
      }
      offset_minutes = (s[pos] == '+' ? 1 : -1) * (oh * 60 + om);
      pos += 6;
    } else {
      return Status::Invalid(bad);
    }
    if (pos != s.size() || h > 23 || mi > 59 || sec > 60) return Status::Invalid(bad);
  }
  const int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  const int64_t seconds = days * 86400 + h * 3600 + mi * 60 + sec - offset_minutes * 60;
  return seconds * kMicrosPerSecond + micros;
}

int UtcYear(Instant t) { return static_cast<int>(CivilFromDays(FloorDiv(t, kMicrosPerDay)).year); }

int UtcWeekday(Instant t) {
  const int64_t days = FloorDiv(t, kMicrosPerDay);
  return static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
}

}  // namespace vigil
