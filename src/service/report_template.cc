#include "service/report_template.h"

#include "core/text.h"
#include "service/report_service.h"

namespace vigil {

TemplateFields TemplateFromText(const std::string& subject, const std::string& text) {
  struct Heading {
    const char* prefix;
    std::string TemplateFields::*field;
  };
  static const Heading kHeadings[] = {
      {"reproduction steps", &TemplateFields::steps},
      {"steps to reproduce", &TemplateFields::steps},
      {"steps", &TemplateFields::steps},
      {"effects on the cluster", &TemplateFields::effects_cluster},
      {"effects on applications", &TemplateFields::effects_applications},
      {"effects on the applications", &TemplateFields::effects_applications},
      {"effects on the underlying infrastructure", &TemplateFields::effects_infrastructure},
      {"effects on the infrastructure", &TemplateFields::effects_infrastructure},
      {"effects on infrastructure", &TemplateFields::effects_infrastructure},
      {"affected workflows", &TemplateFields::workflows},
      {"how the vulnerability affects", &TemplateFields::workflows},
      {"workflows", &TemplateFields::workflows},
      {"attack vectors", &TemplateFields::attack_vectors},
      {"attack vector", &TemplateFields::attack_vectors},
      {"attack surface", &TemplateFields::attack_vectors},
      {"other software", &TemplateFields::other_software},
  };
  TemplateFields f;
  f.subject = subject;
  std::string TemplateFields::*current = nullptr;
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
    std::string TemplateFields::*matched = nullptr;
    if ((marked || colon) && line.size() <= 80) {
      for (const Heading& hd : kHeadings) {
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
    std::string& into = current ? f.*current : preamble;
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
