#include "service/sealed_link.h"

#include <optional>

namespace vigil {
namespace {

// Associated data: the purpose, then what the link is bound to. A TOTP secret's is a bare
// email, which has no newline: the two never open as each other.
std::string LinkContext(std::string_view report_id, std::string_view recipient) {
  return "vigil outbox link\n" + std::string(report_id) + "\n" + std::string(recipient);
}

// The end of the sealed form that starts at FROM (base64 and the "v1:" prefix).
size_t SealedEnd(std::string_view text, size_t from) {
  size_t end = from;
  while (end < text.size()) {
    const char c = text[end];
    const bool b64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '+' || c == '/' || c == '=' || c == ':';
    if (!b64) break;
    ++end;
  }
  return end;
}

}  // namespace

std::string SealLink(const TotpSecretBox& box, std::string_view report_id,
                     std::string_view recipient, std::string_view token) {
  return std::string(kSealedLinkMarker) + box.Seal(LinkContext(report_id, recipient), token);
}

Result<std::string> OpenSealedLinks(const TotpSecretBox& box, std::string_view report_id,
                                    std::string_view recipient, std::string text) {
  for (size_t at = text.find(kSealedLinkMarker); at != std::string::npos;
       at = text.find(kSealedLinkMarker, at)) {
    const size_t start = at + kSealedLinkMarker.size();
    const size_t end = SealedEnd(text, start);
    std::optional<std::string> token = box.Open(LinkContext(report_id, recipient),
                                                std::string_view(text).substr(start, end - start));
    if (!token) {
      return Status::Invalid(
          "the private link in this mail cannot be opened (sealed with another key, or "
          "altered); replace " +
          std::string(recipient) + "'s link on " + std::string(report_id) +
          " (its report page, or POST /api/v1/reports/" + std::string(report_id) +
          "/participants/relink) to send a new one");
    }
    text.replace(at, end - at, *token);
    at += token->size();
  }
  return text;
}

bool CarriesPrivateLink(std::string_view kind) {
  return kind == "embargo-reminder" || kind == "link-replaced" || kind == "credit-request";
}

bool HasSealedLink(std::string_view text) {
  return text.find(kSealedLinkMarker) != std::string_view::npos;
}

std::string HideSealedLinks(std::string text, std::string_view replacement) {
  for (size_t at = text.find(kSealedLinkMarker); at != std::string::npos;
       at = text.find(kSealedLinkMarker, at)) {
    const size_t end = SealedEnd(text, at + kSealedLinkMarker.size());
    text.replace(at, end - at, replacement);
    at += replacement.size();
  }
  return text;
}

}  // namespace vigil
