// ReportForm: the questions a reporter is asked, as the project configures them ([report_form]
// in vigil.toml). A report's text is stored in eight fields with fixed keys (subject, steps and
// six more, see kStoredFieldKeys); the form says which of them are asked for, in which order,
// with which label, help text and mail headings. The keys are what the API and the form post;
// a key the form no longer asks for keeps its text and is still shown.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/report.h"

namespace vigil {

/// The stored fields, in storage order.
inline constexpr std::string_view kStoredFieldKeys[] = {"subject",
                                                        "steps",
                                                        "effects_cluster",
                                                        "effects_applications",
                                                        "effects_infrastructure",
                                                        "workflows",
                                                        "attack_vectors",
                                                        "other_software"};

struct FormField {
  std::string key;    // one of kStoredFieldKeys
  std::string label;  // "Reproduction steps"
  std::string help;   // one sentence under the label
  bool required = false;
  int rows = 3;  // 0 = one line
  /// More headings (lower case) that start this field in a report written as text (a mail),
  /// besides the label itself: "steps to reproduce".
  std::vector<std::string> headings;
};

struct ReportForm {
  std::vector<FormField> fields;  // subject and steps always among them, both required

  /// The field with KEY, or null when the form does not ask for it.
  const FormField* Find(std::string_view key) const;
};

/// The generic form (the default): impact, affected versions, attack vector, mitigations and
/// environment besides subject and steps.
ReportForm GenericReportForm();
/// The form written for a Kubernetes project: effects on the cluster, on applications and on
/// the infrastructure, affected workflows, attack vectors, other software.
ReportForm KubernetesReportForm();
/// "generic" or "kubernetes"; nullopt for another name.
std::optional<ReportForm> PresetReportForm(std::string_view name);

/// Whether KEY is one of kStoredFieldKeys.
bool IsStoredFieldKey(std::string_view key);
/// The text of the stored field KEY, or null when KEY is not one.
std::string* FieldText(TemplateFields& f, std::string_view key);
const std::string* FieldText(const TemplateFields& f, std::string_view key);

/// The label to show for KEY: the form's, else the one a preset gives it, else the key itself
/// (text a report holds in a field the form stopped asking for is still shown).
std::string FieldLabel(const ReportForm& form, std::string_view key);

/// The fields of F with text, labelled, in the form's order and then any other stored field
/// with text; the subject is not among them.
std::vector<std::pair<std::string, std::string>> LabelledFields(const ReportForm& form,
                                                                const TemplateFields& f);

/// The template a reporter writing by mail follows: each asked field's label as a heading
/// ("Reproduction steps:") with its help text, the subject as the mail's subject.
std::string MailTemplate(const ReportForm& form);

/// Checks FORM: known keys, each once, subject and steps present and required, labels present
/// and at most 80 bytes, headings lower case. The error names the field at fault.
std::optional<std::string> CheckReportForm(const ReportForm& form);

}  // namespace vigil
