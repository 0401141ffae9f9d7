#include "core/report_form.h"

#include <set>

#include "core/text.h"

namespace vigil {
namespace {

FormField Subject() {
  return {"subject", "Subject", "A descriptive one-line summary of the issue.", true, 0, {}};
}

FormField Steps() {
  return {"steps",
          "Reproduction steps",
          "Exact steps, scripts or commands that show the problem. Attach screenshots or packet "
          "captures below.",
          true,
          8,
          {"steps to reproduce", "steps", "how to reproduce", "reproduction"}};
}

}  // namespace

const FormField* ReportForm::Find(std::string_view key) const {
  for (const FormField& f : fields) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

ReportForm GenericReportForm() {
  return {{
      Subject(),
      Steps(),
      {"effects_cluster",
       "Impact",
       "What an attacker gains: data read or changed, code run, service denied, and for whom.",
       false,
       3,
       {"effects", "consequences"}},
      {"effects_applications",
       "Affected versions",
       "The releases, branches or commits you found affected, and any you found not affected.",
       false,
       2,
       {"affected releases", "affected version", "versions"}},
      {"attack_vectors",
       "Attack vector",
       "Who can reach the vulnerable code, and from where (network, local user, a crafted file).",
       false,
       3,
       {"attack surface"}},
      {"workflows",
       "Mitigations",
       "Workarounds or configuration that avoid the problem until a fix is out, if you know any.",
       false,
       2,
       {"workarounds", "workaround", "mitigation"}},
      {"other_software",
       "Environment",
       "Operating system, versions of other software and settings you used to expose the problem.",
       false,
       2,
       {"other software", "configuration"}},
  }};
}

ReportForm KubernetesReportForm() {
  return {{
      Subject(),
      Steps(),
      {"effects_cluster",
       "Effects on the cluster",
       "What an attacker can do to the cluster itself.",
       false,
       3,
       {}},
      {"effects_applications",
       "Effects on applications",
       "What happens to applications running on the cluster.",
       false,
       3,
       {"effects on the applications"}},
      {"effects_infrastructure",
       "Effects on the infrastructure",
       "What happens to the underlying hosts, network or cloud.",
       false,
       3,
       {"effects on the underlying infrastructure", "effects on infrastructure"}},
      {"workflows",
       "Affected workflows",
       "Which of the project's workflows are affected, and how.",
       false,
       3,
       {"how the vulnerability affects", "workflows"}},
      {"attack_vectors",
       "Attack vectors and surface",
       "Who can reach the vulnerable code, and from where.",
       false,
       3,
       {"attack vector", "attack surface"}},
      {"other_software",
       "Other software used",
       "Versions of other software you used to expose the problem.",
       false,
       2,
       {"other software"}},
  }};
}

std::optional<ReportForm> PresetReportForm(std::string_view name) {
  if (name == "generic") return GenericReportForm();
  if (name == "kubernetes") return KubernetesReportForm();
  return std::nullopt;
}

bool IsStoredFieldKey(std::string_view key) {
  for (std::string_view k : kStoredFieldKeys) {
    if (k == key) return true;
  }
  return false;
}

std::string* FieldText(TemplateFields& f, std::string_view key) {
  if (key == "subject") return &f.subject;
  if (key == "steps") return &f.steps;
  if (key == "effects_cluster") return &f.effects_cluster;
  if (key == "effects_applications") return &f.effects_applications;
  if (key == "effects_infrastructure") return &f.effects_infrastructure;
  if (key == "workflows") return &f.workflows;
  if (key == "attack_vectors") return &f.attack_vectors;
  if (key == "other_software") return &f.other_software;
  return nullptr;
}

const std::string* FieldText(const TemplateFields& f, std::string_view key) {
  return FieldText(const_cast<TemplateFields&>(f), key);
}

std::string FieldLabel(const ReportForm& form, std::string_view key) {
  if (const FormField* f = form.Find(key)) return f->label;
  for (const ReportForm& preset : {KubernetesReportForm(), GenericReportForm()}) {
    if (const FormField* f = preset.Find(key)) return f->label;
  }
  return std::string(key);
}

std::vector<std::pair<std::string, std::string>> LabelledFields(const ReportForm& form,
                                                                const TemplateFields& f) {
  std::vector<std::pair<std::string, std::string>> out;
  std::set<std::string_view> shown = {"subject"};
  for (const FormField& field : form.fields) {
    if (!shown.insert(field.key).second) continue;
    const std::string* text = FieldText(f, field.key);
    if (text && !text->empty()) out.emplace_back(field.label, *text);
  }
  for (std::string_view key : kStoredFieldKeys) {
    if (!shown.insert(key).second) continue;
    const std::string* text = FieldText(f, key);
    if (!text->empty()) out.emplace_back(FieldLabel(form, key), *text);
  }
  return out;
}

std::string MailTemplate(const ReportForm& form) {
  std::string out;
  for (const FormField& f : form.fields) {
    if (f.key == "subject") continue;
    if (!out.empty()) out += "\n";
    out += f.label + ":\n(" + f.help + (f.required ? " Required." : "") + ")\n";
  }
  return out;
}

std::optional<std::string> CheckReportForm(const ReportForm& form) {
  std::set<std::string> seen;
  for (const FormField& f : form.fields) {
    const std::string who = "field \"" + f.key + "\"";
    if (!IsStoredFieldKey(f.key)) {
      return who +
             ": unknown key (one of subject, steps, effects_cluster, "
             "effects_applications, effects_infrastructure, workflows, attack_vectors, "
             "other_software)";
    }
    if (!seen.insert(f.key).second) return who + ": asked twice";
    if (Trim(f.label).empty()) return who + ": label is empty";
    if (f.label.size() > 80) return who + ": label is longer than 80 bytes";
    if (f.label.find_first_of("\r\n") != std::string::npos) return who + ": label has a newline";
    if (f.help.size() > 500) return who + ": help is longer than 500 bytes";
    if (f.rows < 0 || f.rows > 40) return who + ": rows must be 0 to 40";
    if (f.key == "subject" && f.rows != 0) return who + ": the subject is one line (rows = 0)";
    if ((f.key == "subject" || f.key == "steps") && !f.required) {
      return who + ": is always required";
    }
    for (const std::string& h : f.headings) {
      if (h.empty() || h.size() > 80 || h != LowerAscii(h) || Trim(h) != h ||
          h.find_first_of("\r\n:") != std::string::npos) {
        return who + ": heading \"" + h.substr(0, 80) +
               "\" must be lower case, trimmed, without a colon, at most 80 bytes";
      }
    }
  }
  if (!seen.count("subject")) return std::string("the subject must be asked for");
  if (!seen.count("steps")) return std::string("the reproduction steps must be asked for");
  return std::nullopt;
}

}  // namespace vigil
