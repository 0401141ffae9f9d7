#include "patch/patch_series.h"

#include <algorithm>

#include "patch/patch_id.h"

namespace vigil::patch {

Result<std::vector<SeriesPatch>> ReadSeries(std::string_view input, const SeriesLimits& limits,
                                            SeriesContent content) {
  MboxOptions options;
  options.limits = limits.mbox;
  std::vector<SeriesPatch> patches;
  // Per patch: its message number and the ParseDiff error, reported (with the patch's "K/N"
  // label) only once every message has been read, so that a message error comes first, as when
  // the mails were read before the diffs.
  std::vector<size_t> message_numbers;
  std::vector<Status> diff_errors;
  patches.reserve(std::min<size_t>(input.size() / 1024 + 1, options.limits.max_messages));
  size_t message = 0;
  std::string cover_change_id, cover_message_id;
  Status split = ForEachMboxMessage(input, options, [&](std::string_view text) -> Status {
    ++message;
    const std::string where = "message " + std::to_string(message) + ": ";
    if (text.find('\0') != std::string_view::npos) {
      return Status::Invalid(where + "contains a NUL byte");
    }
    Result<MailInfo> mail = ParseMail(text);
    if (!mail.ok()) return Status(mail.status().code(), where + mail.status().message());
    Result<std::vector<FileDiff>> files = mail->patch.empty() ? Status::Invalid("no diff found")
                                                              : ParseDiff(mail->patch, limits.diff);
    // A cover letter: "[PATCH 0/N]" and no diff (b4's have a "---" part with the shortlog,
    // diffstat, base-commit and change-id).
    if (mail->series.index == 0 && !files.ok() && files.status().message() == "no diff found") {
      if (cover_change_id.empty()) cover_change_id = mail->change_id;
      if (cover_message_id.empty()) cover_message_id = mail->message_id;
      return Status::Ok();
    }
    if (mail->patch.empty()) return Status::Invalid(where + "no patch found");
    SeriesPatch& p = patches.emplace_back();
    p.mail = std::move(mail).value();
    message_numbers.push_back(message);
    diff_errors.push_back(files.status());
    if (!files.ok()) return Status::Ok();
    p.files = std::move(files).value();
    Result<std::vector<PatchIdEntry>> ids = ComputePatchIds(p.mail.patch, PatchIdMode::kStable);
    if (!ids.ok()) return ids.status();
    if (!ids->empty()) p.patch_id = ids->front().patch_id;
    if (content == SeriesContent::kSummary) {
      std::string().swap(p.mail.patch);
      for (FileDiff& f : p.files) std::vector<Hunk>().swap(f.hunks);
    }
    return Status::Ok();
  });
  VIGIL_RETURN_IF_ERROR(split);
  if (patches.empty()) return Status::Invalid("no patch found");
  const int count = static_cast<int>(patches.size());
  for (int i = 0; i < count; ++i) {
    SeriesPatch& p = patches[static_cast<size_t>(i)];
    p.number = i + 1;
    p.count = count;
    p.cover_message_id = cover_message_id;
    if (p.mail.change_id.empty()) p.mail.change_id = cover_change_id;
    const Status& error = diff_errors[static_cast<size_t>(i)];
    if (error.ok()) continue;
    if (error.message() == "no diff found") {
      return Status::Invalid("message " + std::to_string(message_numbers[size_t(i)]) +
                             ": no patch found");
    }
    return Status(error.code(), p.Label() + ": " + error.message());
  }
  return patches;
}

}  // namespace vigil::patch
