#include "core/report_form.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(ReportFormTest, BothPresetsPassTheirOwnCheckAndAskForSubjectAndStepsFirst) {
  for (const char* name : {"generic", "kubernetes"}) {
    SCOPED_TRACE(name);
    std::optional<ReportForm> form = PresetReportForm(name);
    ASSERT_TRUE(form.has_value());
    EXPECT_EQ(CheckReportForm(*form), std::nullopt);
    ASSERT_GE(form->fields.size(), 2u);
    EXPECT_EQ(form->fields[0].key, "subject");
    EXPECT_EQ(form->fields[1].key, "steps");
  }
  EXPECT_FALSE(PresetReportForm("debian").has_value());
  EXPECT_EQ(GenericReportForm().Find("effects_cluster")->label, "Impact");
  EXPECT_EQ(GenericReportForm().Find("effects_infrastructure"), nullptr);
  EXPECT_EQ(KubernetesReportForm().Find("effects_cluster")->label, "Effects on the cluster");
}

TEST(ReportFormTest, EveryStoredKeyHasItsOwnText) {
  TemplateFields f;
  for (std::string_view key : kStoredFieldKeys) *FieldText(f, key) = std::string(key) + "!";
  EXPECT_EQ(f.subject, "subject!");
  EXPECT_EQ(f.steps, "steps!");
  EXPECT_EQ(f.effects_cluster, "effects_cluster!");
  EXPECT_EQ(f.effects_applications, "effects_applications!");
  EXPECT_EQ(f.effects_infrastructure, "effects_infrastructure!");
  EXPECT_EQ(f.workflows, "workflows!");
  EXPECT_EQ(f.attack_vectors, "attack_vectors!");
  EXPECT_EQ(f.other_software, "other_software!");
  EXPECT_EQ(FieldText(f, "title"), nullptr);
  EXPECT_FALSE(IsStoredFieldKey("title"));
}

TEST(ReportFormTest, TextInAFieldTheFormNoLongerAsksForIsStillShown) {
  TemplateFields f;
  f.subject = "s";
  f.steps = "run it";
  f.effects_cluster = "root";
  f.effects_infrastructure = "the hosts";  // asked by the Kubernetes form only
  const auto shown = LabelledFields(GenericReportForm(), f);
  ASSERT_EQ(shown.size(), 3u);
  EXPECT_EQ(shown[0], (std::pair<std::string, std::string>{"Reproduction steps", "run it"}));
  EXPECT_EQ(shown[1], (std::pair<std::string, std::string>{"Impact", "root"}));
  EXPECT_EQ(shown[2],
            (std::pair<std::string, std::string>{"Effects on the infrastructure", "the hosts"}));
}

TEST(ReportFormTest, TheMailTemplateHasEveryAskedFieldButTheSubject) {
  ReportForm form = GenericReportForm();
  form.fields[2].required = true;
  EXPECT_EQ(MailTemplate(form),
            "Reproduction steps:\n(Exact steps, scripts or commands that show the problem. Attach "
            "screenshots or packet captures below. Required.)\n"
            "\nImpact:\n(What an attacker gains: data read or changed, code run, service denied, "
            "and for whom. Required.)\n"
            "\nAffected versions:\n(The releases, branches or commits you found affected, and "
            "any you found not affected.)\n"
            "\nAttack vector:\n(Who can reach the vulnerable code, and from where (network, local "
            "user, a crafted file).)\n"
            "\nMitigations:\n(Workarounds or configuration that avoid the problem until a fix is "
            "out, if you know any.)\n"
            "\nEnvironment:\n(Operating system, versions of other software and settings you used "
            "to expose the problem.)\n");
}

TEST(ReportFormTest, TheCheckNamesTheFieldAtFault) {
  auto with = [](auto change) {
    ReportForm form = GenericReportForm();
    change(form);
    return CheckReportForm(form).value_or("ok");
  };
  EXPECT_EQ(with([](ReportForm&) {}), "ok");
  EXPECT_EQ(with([](ReportForm& f) { f.fields[2].key = "title"; }),
            "field \"title\": unknown key (one of subject, steps, effects_cluster, "
            "effects_applications, effects_infrastructure, workflows, attack_vectors, "
            "other_software)");
  EXPECT_EQ(with([](ReportForm& f) { f.fields[3].key = "effects_cluster"; }),
            "field \"effects_cluster\": asked twice");
  EXPECT_EQ(with([](ReportForm& f) { f.fields[2].label = " "; }),
            "field \"effects_cluster\": label is empty");
  EXPECT_EQ(with([](ReportForm& f) { f.fields[2].label = std::string(81, 'x'); }),
            "field \"effects_cluster\": label is longer than 80 bytes");
  EXPECT_EQ(with([](ReportForm& f) { f.fields[2].label = "a\nb"; }),
            "field \"effects_cluster\": label has a newline");
  EXPECT_EQ(with([](ReportForm& f) { f.fields[1].required = false; }),
            "field \"steps\": is always required");
  EXPECT_EQ(with([](ReportForm& f) { f.fields[0].rows = 2; }),
            "field \"subject\": the subject is one line (rows = 0)");
  EXPECT_EQ(with([](ReportForm& f) { f.fields[2].rows = 41; }),
            "field \"effects_cluster\": rows must be 0 to 40");
  EXPECT_EQ(with([](ReportForm& f) { f.fields[2].headings = {"Impact"}; }),
            "field \"effects_cluster\": heading \"Impact\" must be lower case, trimmed, without "
            "a colon, at most 80 bytes");
  EXPECT_EQ(with([](ReportForm& f) { f.fields.erase(f.fields.begin()); }),
            "the subject must be asked for");
  EXPECT_EQ(with([](ReportForm& f) { f.fields.erase(f.fields.begin() + 1); }),
            "the reproduction steps must be asked for");
}

}  // namespace
}  // namespace vigil
