// A report's advisory draft: what the coordinator edits before disclosure, and its JSON form (the
// stored document and the API's representation).
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "advisory/advisory.h"
#include "core/status.h"
#include "core/time.h"

namespace vigil {

/// What a credited person agreed to: nothing yet, being named, being credited anonymously, or
/// no credit at all. Only named and anonymous credits are published.
enum class CreditConsent { kPending, kNamed, kAnonymous, kDeclined };

const char* ConsentName(CreditConsent c);  // "pending", "named", "anonymous", "declined"
std::optional<CreditConsent> ParseConsent(std::string_view name);

struct DraftCredit {
  std::string email;  // how the person is asked for consent; never published
  std::string name;
  advisory::CreditType type = advisory::CreditType::kFinder;
  CreditConsent consent = CreditConsent::kPending;
  std::string source = "manual";  // "reporter", "patch-author" (proposed) or "manual"
  /// When the person was mailed their credit link (CreditRequests); 0 = never.
  Instant asked_at = 0;
};

/// The credit proposed for the author of an approved patch (NAME, EMAIL as the commit gives
/// them; the email lower-cased): a pending remediation-developer credit from "patch-author".
DraftCredit PatchAuthorCredit(const std::string& name, const std::string& email);

struct AdvisoryDraft {
  std::string title;
  std::string summary;
  /// Whether someone wrote the title, the summary (`advisory edit`): a proposed draft has the
  /// report's subject as both, and disclosure refuses it unless told --without-advisory.
  bool title_written = false;
  bool summary_written = false;
  /// Both were written, and neither is empty.
  bool Written() const {
    return title_written && summary_written && !title.empty() && !summary.empty();
  }
  std::string details;  // Markdown
  std::vector<advisory::VersionRange> ranges;
  std::vector<advisory::Weakness> weaknesses;
  std::vector<std::string> cvss_vectors;
  std::vector<advisory::Reference> references;
  std::vector<DraftCredit> credits;
  std::string cve_id;  // recorded with `vigil advisory set-id`
  std::string ghsa_id;
  // Filled by the disclosure.
  std::vector<std::string> fixed_commits;  // the disclosed commits (one per branch, the last)
  Instant published = 0;
  // The public route (levels >= 4): the redacted public title and text.
  std::string public_title;
  std::string public_text;
  bool redacted = false;
};

boost::json::object DraftToJsonObject(const AdvisoryDraft& draft);
std::string DraftToJson(const AdvisoryDraft& draft);
/// Reads a stored draft document. Errors: kInternal "advisory draft is corrupt: ...".
Result<AdvisoryDraft> DraftFromJson(std::string_view text);

}  // namespace vigil
