// RecordingForge: an in-process Forge for unit tests. Keeps the issues and pull requests opened
// through it, records every call, and fails the call the test names, so that a test can stop a
// disclosure at any forge step and resume it. Test-only; header-only; not thread-safe.
#pragma once

#include <string>
#include <vector>

#include "forge/forge.h"

namespace vigil::testing {

class RecordingForge final : public Forge {
 public:
  struct Item {
    int64_t number = 0;
    std::string title, body, head, base;  // head/base: pull requests only
    bool pull = false;
    std::string opened_at;  // the value of `now` when it was opened (ISO 8601 UTC)
  };

  /// Every call, in order: "FindIssue", "OpenIssue", "FindPull", "OpenPull".
  std::vector<std::string> calls;
  std::vector<Item> items;
  /// Calls whose (1-based) position in `calls` is FAIL_AT return FAILURE instead of their result.
  int fail_at = 0;
  Status failure =
      Status::Unavailable("forge: POST /repos/acme/widget/issues: HTTP 502: bad gateway");
  /// What OpenIssue and OpenPull stamp on their items; FindIssue compares SINCE with it.
  std::string now = "2026-01-01T00:00:00Z";

  Result<std::optional<ForgeItem>> FindIssue(const std::string& marker,
                                             const std::string& since) override {
    if (Failing("FindIssue")) return failure;
    for (const Item& i : items) {
      if (!i.pull && i.opened_at >= since && i.body.find(marker) != std::string::npos) {
        return std::optional<ForgeItem>(ItemOf(i));
      }
    }
    return std::optional<ForgeItem>();
  }
  Result<ForgeItem> OpenIssue(const std::string& title, const std::string& body) override {
    if (Failing("OpenIssue")) return failure;
    return Add({0, title, body, "", "", false, now});
  }
  Result<std::optional<ForgeItem>> FindPull(const std::string& branch) override {
    if (Failing("FindPull")) return failure;
    for (const Item& i : items) {
      if (i.pull && i.head == branch) return std::optional<ForgeItem>(ItemOf(i));
    }
    return std::optional<ForgeItem>();
  }
  Result<ForgeItem> OpenPull(const std::string& title, const std::string& head,
                             const std::string& base, const std::string& body) override {
    if (Failing("OpenPull")) return failure;
    return Add({0, title, body, head, base, true, now});
  }

  /// How many calls of METHOD were made.
  int Count(const std::string& method) const {
    int n = 0;
    for (const std::string& c : calls) n += c == method;
    return n;
  }

 private:
  bool Failing(const std::string& method) {
    calls.push_back(method);
    return static_cast<int>(calls.size()) == fail_at;
  }
  static ForgeItem ItemOf(const Item& i) {
    return {i.number, "https://forge.example/acme/widget/" +
                          std::string(i.pull ? "pull/" : "issues/") + std::to_string(i.number)};
  }
  ForgeItem Add(Item item) {
    item.number = static_cast<int64_t>(items.size()) + 1;  // issues and pulls share numbers
    items.push_back(item);
    return ItemOf(item);
  }
};

}  // namespace vigil::testing
