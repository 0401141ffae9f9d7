#include "service/report_template.h"

#include <algorithm>
#include <vector>

#include "core/text.h"
#include "service/report_service.h"

namespace vigil {

TemplateFields TemplateFromText(const std::string& subject, const std::string& text,
                                const ReportForm& form) {
  // Every heading a field answers to (its label and its extra headings, lower case), longest
  // first so that "steps to reproduce" wins over "steps". The subject is the mail's.
  struct Heading {
    std::string prefix;
    std::string* field;
  };
  TemplateFields f;
  std::vector<Heading> headings;
  for (const FormField& field : form.fields) {
    if (field.key == "subject") continue;
    std::string* into = FieldText(f, field.key);
    headings.push_back({LowerAscii(field.label), into});
    for (const std::string& h : field.headings) headings.push_back({h, into});
  }
  std::stable_sort(headings.begin(), headings.end(), [](const Heading& a, const Heading& b) {
    return a.prefix.size() > b.prefix.size();
  });
  f.subject = subject;
  std::string* current = nullptr;
  std::string preamble;
  bool any = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    // A heading: "## Steps", "**Steps:**", "Steps:" alone on its line, at most 80 bytes.
    std::string h(Trim(line));
    bool marked = false;
    while (!h.empty() && (h.front() == '#' || h.front() == '*' || h.front() == '_')) {
      h.erase(0, 1);
      marked = true;
    }
    while (!h.empty() && (h.back() == '*' || h.back() == '_')) h.pop_back();
    const bool colon = !h.empty() && h.back() == ':';
    if (colon) h.pop_back();
    h = LowerAscii(Trim(h));
    std::string* matched = nullptr;
    if ((marked || colon) && line.size() <= 80) {
      for (const Heading& hd : headings) {
        if (h.starts_with(hd.prefix)) {
          matched = hd.field;
          break;
        }
      }
    }
    if (matched) {
      current = matched;
      any = true;
      continue;
    }
    std::string& into = current ? *current : preamble;
    into += line + "\n";
  }
  auto clip = [](std::string& s) { s = std::string(Utf8Prefix(Trim(s), kMaxFieldBytes - 200)); };
  if (!any) {
    f.steps = text;
  } else if (!Trim(preamble).empty()) {
    f.steps = std::string(Trim(preamble)) + (Trim(f.steps).empty() ? "" : "\n\n" + f.steps);
  }
  for (std::string* s :
       {&f.steps, &f.effects_cluster, &f.effects_applications, &f.effects_infrastructure,
        &f.workflows, &f.attack_vectors, &f.other_software}) {
    clip(*s);
  }
  if (f.steps.empty()) f.steps = "(no text)";
  return f;
}

}  // namespace vigil
