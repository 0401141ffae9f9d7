#include "service/report_template.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "service/report_service.h"

namespace vigil {
namespace {

TEST(ReportTemplateTest, TheGenericFormsHeadingsSplitAMail) {
  const TemplateFields f = TemplateFromText(
      "Overflow in the parser",
      "Hello,\n\n## Steps to reproduce\nrun ./poc\n\n**Impact:**\nremote code execution\n\n"
      "Affected versions:\n1.2 to 1.4\n\nWorkarounds:\nturn off the parser\n\n"
      "Environment:\nDebian 12\n\nAttack vector:\nthe network\n",
      GenericReportForm());
  EXPECT_EQ(f.subject, "Overflow in the parser");
  EXPECT_EQ(f.steps, "Hello,\n\nrun ./poc");  // the preamble goes before the steps
  EXPECT_EQ(f.effects_cluster, "remote code execution");
  EXPECT_EQ(f.effects_applications, "1.2 to 1.4");
  EXPECT_EQ(f.workflows, "turn off the parser");
  EXPECT_EQ(f.other_software, "Debian 12");
  EXPECT_EQ(f.attack_vectors, "the network");
  EXPECT_EQ(f.effects_infrastructure, "");
}

TEST(ReportTemplateTest, TheKubernetesFormsHeadingsSplitAMail) {
  const TemplateFields f = TemplateFromText(
      "s",
      "Reproduction steps:\nkubectl apply -f poc.yaml\n\nEffects on the cluster:\nadmin\n\n"
      "## Effects on the underlying infrastructure\nthe node\n\nAttack vectors:\npods\n",
      KubernetesReportForm());
  EXPECT_EQ(f.steps, "kubectl apply -f poc.yaml");
  EXPECT_EQ(f.effects_cluster, "admin");
  EXPECT_EQ(f.effects_infrastructure, "the node");
  EXPECT_EQ(f.attack_vectors, "pods");
}

TEST(ReportTemplateTest, OnlyTheConfiguredFormsHeadingsCount) {
  ReportForm form = GenericReportForm();
  form.fields[2].label = "Blast radius";
  form.fields[2].headings = {"who is hit"};
  const std::string text = "Steps:\nrun it\n\nWho is hit:\neveryone\n\nImpact:\nroot\n";
  const TemplateFields f = TemplateFromText("s", text, form);
  // "Impact" is no longer a heading of this form: it stays text of the field before it.
  EXPECT_EQ(f.effects_cluster, "everyone\n\nImpact:\nroot");
  EXPECT_EQ(f.steps, "run it");
}

TEST(ReportTemplateTest, TextWithoutHeadingsIsAllSteps) {
  const TemplateFields f =
      TemplateFromText("s", "it crashes\nwhen I do this\n", GenericReportForm());
  EXPECT_EQ(f.steps, "it crashes\nwhen I do this");
  EXPECT_EQ(TemplateFromText("s", "", GenericReportForm()).steps, "(no text)");
}

// The README's table of the generic form and its sample mail are what Vigil does: every label
// and key of the table is the form's, and the sample fills every field the form asks for.
TEST(ReportTemplateTest, TheReadmesMailTemplateMatchesTheGenericForm) {
  std::ifstream in(std::string(VIGIL_SOURCE_DIR) + "/README.md");
  std::stringstream readme;
  readme << in.rdbuf();
  const std::string text = readme.str();
  const ReportForm form = GenericReportForm();
  for (const FormField& f : form.fields) {
    SCOPED_TRACE(f.key);
    const std::string label = f.key == "subject" ? "Subject (the mail's subject)" : f.label;
    EXPECT_NE(text.find("| `" + f.key + "` | " + label + " | "), std::string::npos);
  }
  const size_t start = text.find("```\nSubject: Heap overflow in the config parser\n\n");
  ASSERT_NE(start, std::string::npos);
  const size_t body = text.find("\n\n", start) + 2;
  const std::string mail = text.substr(body, text.find("```", body) - body);
  const TemplateFields f = TemplateFromText("Heap overflow", mail, form);
  for (const FormField& field : form.fields) {
    SCOPED_TRACE(field.key);
    EXPECT_FALSE(FieldText(f, field.key)->empty());
  }
  EXPECT_EQ(f.steps, "./tool --config poc.toml (poc.toml attached)");
  EXPECT_EQ(f.other_software, "Debian 12, gcc 12");
}

}  // namespace
}  // namespace vigil
