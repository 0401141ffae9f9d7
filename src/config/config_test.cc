#include "config/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace vigil {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-config-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  Result<Config> Load(const std::string& text) {
    std::ofstream(dir_ + "/vigil.toml") << text;
    return LoadConfig(dir_ + "/vigil.toml");
  }
  std::string dir_;
};

TEST_F(ConfigTest, DefaultFileLoadsWithDefaults) {
  Result<Config> c = Load(DefaultConfigText("data", 8080));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->id_prefix, "SEC");
  EXPECT_EQ(c->embargo_cap_days, 90);
  EXPECT_EQ(c->listen_port, 8080);
  EXPECT_EQ(c->data_dir, std::filesystem::path(dir_ + "/data").lexically_normal().string());
  EXPECT_EQ(c->public_url, "http://127.0.0.1:8080");
  EXPECT_EQ(c->forge_timeout_seconds, 30);
  EXPECT_EQ(c->auto_disclose_interval_seconds, 60);
  EXPECT_EQ(c->mail.smarthost_timeout_seconds, 30);
  EXPECT_EQ(c->api_token_days, 90);
  EXPECT_EQ(c->capability_days_after_close, 30);
  // Network threads: one less than the CPUs, at least one.
  EXPECT_EQ(c->io_threads, 0);
  EXPECT_GE(c->IoThreads(), 1);
  Result<Config> three = Load("[server]\nio_threads = 3\n");
  ASSERT_TRUE(three.ok()) << three.status().ToString();
  EXPECT_EQ(three->IoThreads(), 3);
}

TEST_F(ConfigTest, TotpKeyFileDefaultsToTheDataFolderAndIsRelativeToTheConfig) {
  Result<Config> c = Load(DefaultConfigText("data", 8080));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->TotpKeyPath(), c->data_dir + "/totp.key");
  Result<Config> moved = Load("[data]\ntotp_key_file = \"keys/totp.key\"\n");
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(moved->TotpKeyPath(), dir_ + "/keys/totp.key");
  Result<Config> absolute = Load("[data]\ntotp_key_file = \"/etc/vigil/totp.key\"\n");
  ASSERT_TRUE(absolute.ok());
  EXPECT_EQ(absolute->TotpKeyPath(), "/etc/vigil/totp.key");
}

// TOML is UTF-8: other bytes are refused before the TOML reader sees them. The first input is
// the one fuzz_config found reading past toml11's buffer (heap-buffer-overflow in
// toml::detail::location::reset).
TEST_F(ConfigTest, BytesThatAreNotUtf8AreRefusedBeforeParsing) {
  const std::string path = dir_ + "/vigil.toml";
  EXPECT_EQ(Load("'\xad['").status().message(), path + ": not UTF-8 (byte 2)");
  EXPECT_EQ(Load("[project]\nname = \"caf\xc3\"\n").status().message(),
            path + ": not UTF-8 (byte 22)");
  EXPECT_EQ(Load("[project]\nname = \"caf\xc3\xa9\"\n")->project_name, "caf\xc3\xa9");
}

// toml11 parses nested arrays by recursion: a kilobyte of "[" overflowed the stack (found by
// fuzz_config; the crasher is this test's first case). Brackets in strings and comments, and
// table headers, do not count.
TEST_F(ConfigTest, ValuesNestedTooDeeplyAreRefusedBeforeParsing) {
  const std::string path = dir_ + "/vigil.toml";
  EXPECT_EQ(Load("\n   ts =" + std::string(1050, '[')).status().message(),
            path + ": line 2: arrays and inline tables nested deeper than 32");
  EXPECT_EQ(Load("a = " + std::string(33, '[') + std::string(33, ']') + "\n").status().message(),
            path + ": line 1: arrays and inline tables nested deeper than 32");
  EXPECT_EQ(Load("a = {b = {c = " + std::string(31, '{') + "}").status().message(),
            path + ": line 1: arrays and inline tables nested deeper than 32");
  // 32 levels are parsed (and refused for what they are, not for their depth).
  EXPECT_EQ(Load("a = " + std::string(32, '[') + std::string(32, ']') + "\n").status().message(),
            "vigil.toml: a: unknown key");
  const std::string brackets(40, '[');
  Result<Config> ok = Load("# " + brackets + "\n[project]\nname = \"" + brackets +
                           "\"\nsecurity_address = 'x@example.org'\n[mail]\nreminder = \"\"\"\n" +
                           brackets + "\\\"\"\"\"\n");
  EXPECT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->project_name, brackets);
  EXPECT_EQ(ok->mail.reminder, brackets + "\"");
}

TEST_F(ConfigTest, AuditFilesDefaultToTheDataFolderAndAreRelativeToTheConfigAndMailIsOff) {
  Result<Config> c = Load(DefaultConfigText("data", 8080));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->AuditKeyPath(), c->data_dir + "/audit.key");
  EXPECT_EQ(c->CheckpointLogPath(), c->data_dir + "/audit-checkpoints.log");
  EXPECT_EQ(c->audit_checkpoint_seconds, 1);
  Result<Config> moved = Load(
      "[audit]\nsigning_key_file = \"keys/audit.key\"\ncheckpoint_log = \"/var/log/vigil.log\"\n"
      "checkpoint_seconds = 30\n");
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(moved->AuditKeyPath(), dir_ + "/keys/audit.key");
  EXPECT_EQ(moved->CheckpointLogPath(), "/var/log/vigil.log");
  EXPECT_EQ(moved->audit_checkpoint_seconds, 30);
  EXPECT_EQ(Load("[audit]\ncheckpoint_seconds = 0\n").status().message(),
            "vigil.toml: audit.checkpoint_seconds: must be 1 to 3600");
  EXPECT_EQ(Load("[audit]\ncheckpoint_seconds = 3601\n").status().message(),
            "vigil.toml: audit.checkpoint_seconds: must be 1 to 3600");
  EXPECT_EQ(c->audit_mail_to, "");
  EXPECT_EQ(c->audit_mail_seconds, 3600);
  Result<Config> mailed = Load("[audit]\nmail_to = \"Audit@Example.org\"\nmail_seconds = 86400\n");
  ASSERT_TRUE(mailed.ok()) << mailed.status().ToString();
  EXPECT_EQ(mailed->audit_mail_to, "audit@example.org");
  EXPECT_EQ(mailed->audit_mail_seconds, 86400);
  EXPECT_EQ(Load("[audit]\nmail_to = \"audit\"\n").status().message(),
            "vigil.toml: audit.mail_to: \"audit\" is not an email");
  EXPECT_EQ(Load("[audit]\nmail_seconds = 59\n").status().message(),
            "vigil.toml: audit.mail_seconds: must be 60 to 604800");
  EXPECT_EQ(Load("[audit]\nmail_seconds = 604801\n").status().message(),
            "vigil.toml: audit.mail_seconds: must be 60 to 604800");
}

TEST_F(ConfigTest, ExactErrors) {
  EXPECT_EQ(Load("[project]\nnmae = \"x\"\n").status().message(),
            "vigil.toml: project.nmae: unknown key");
  EXPECT_EQ(Load("[server]\nport = 70000\n").status().message(),
            "vigil.toml: server.port: must be 0 to 65535");
  EXPECT_EQ(Load("[server]\nport = \"80\"\n").status().message(),
            "vigil.toml: server.port: wrong type");
  EXPECT_EQ(Load("[project]\nid_prefix = \"sec\"\n").status().message(),
            "vigil.toml: project.id_prefix: id prefix \"sec\" must be 1 to 16 upper-case letters "
            "and digits, starting with a letter");
  EXPECT_EQ(Load("[server]\nio_threads = -1\n").status().message(),
            "vigil.toml: server.io_threads: must be 0 to 64");
  EXPECT_EQ(Load("[embargo]\ncap_days = 0\n").status().message(),
            "vigil.toml: embargo.cap_days: must be 1 to 365");
  EXPECT_EQ(Load("[disclosure]\nforge_timeout_seconds = 0\n").status().message(),
            "vigil.toml: disclosure.forge_timeout_seconds: must be 1 to 3600");
  EXPECT_EQ(Load("[disclosure]\nauto_disclose_interval_seconds = 0\n").status().message(),
            "vigil.toml: disclosure.auto_disclose_interval_seconds: must be 1 to 3600");
  EXPECT_EQ(Load("[mail]\nmax_decrypted_bytes = 1023\n").status().message(),
            "vigil.toml: mail.max_decrypted_bytes: must be 1024 to 1073741824");
  EXPECT_EQ(Load("[mail]\nsmarthost_timeout_seconds = 3601\n").status().message(),
            "vigil.toml: mail.smarthost_timeout_seconds: must be 1 to 3600");
  EXPECT_EQ(Load("[mail]\nsmarthost = \"mail.example.org:25\"\n").status().message(),
            "vigil.toml: mail.smarthost: must start with smtp://, smtps:// or maildir:");
  EXPECT_EQ(Load("[mail]\nsmarthost = \"maildir:\"\n").status().message(),
            "vigil.toml: mail.smarthost: maildir: needs a folder");
  Result<Config> maildir = Load("[mail]\nsmarthost = \"maildir:sent-mail\"\n");
  ASSERT_TRUE(maildir.ok()) << maildir.status().message();
  EXPECT_EQ(maildir->mail.smarthost, "maildir:" + dir_ + "/sent-mail");
  Result<Config> absolute = Load("[mail]\nsmarthost = \"maildir:/srv/vigil-mail\"\n");
  ASSERT_TRUE(absolute.ok());
  EXPECT_EQ(absolute->mail.smarthost, "maildir:/srv/vigil-mail");
  EXPECT_EQ(Load("[web]\napi_token_days = 0\n").status().message(),
            "vigil.toml: web.api_token_days: must be 1 to 3650");
  EXPECT_EQ(Load("[web]\napi_token_days = 3651\n").status().message(),
            "vigil.toml: web.api_token_days: must be 1 to 3650");
  Result<Config> year = Load("[web]\napi_token_days = 365\n");
  ASSERT_TRUE(year.ok()) << year.status().ToString();
  EXPECT_EQ(year->api_token_days, 365);
  EXPECT_EQ(Load("[web]\ncapability_days_after_close = -1\n").status().message(),
            "vigil.toml: web.capability_days_after_close: must be 0 to 3650");
  Result<Config> at_once = Load("[web]\ncapability_days_after_close = 0\n");
  ASSERT_TRUE(at_once.ok()) << at_once.status().ToString();
  EXPECT_EQ(at_once->capability_days_after_close, 0);
  EXPECT_EQ(Load("[project]\nround_robin = true\n").status().message(),
            "vigil.toml: project.round_robin: needs at least one entry in project.maintainers");
  EXPECT_EQ(
      Load("[server]\ntrusted_proxies = [\"127.0.0.1\", \"10.0.0.1/8\"]\n").status().message(),
      "vigil.toml: server.trusted_proxies: not an IP address or network: 10.0.0.1/8");
  EXPECT_EQ(Load("[server]\ntrusted_proxies = \"127.0.0.1\"\n").status().message(),
            "vigil.toml: server.trusted_proxies: wrong type");
  EXPECT_EQ(Load("[mail]\nauthserv_relays = [\"mx.example.org\"]\n").status().message(),
            "vigil.toml: mail.authserv_relays: not an IP address or network: mx.example.org");
  Result<Config> relays = Load("[mail]\nauthserv_relays = [\"192.0.2.0/24\", \"2001:db8::/32\"]\n");
  ASSERT_TRUE(relays.ok()) << relays.status().ToString();
  EXPECT_EQ(relays->mail.authserv_relays,
            (std::vector<std::string>{"192.0.2.0/24", "2001:db8::/32"}));
  EXPECT_EQ(Load("")->mail.authserv_relays, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(Load("")->approvals_required, (std::vector<int>{1, 1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(Load("[patch]\napprovals_required = [3, 2, 2, 1, 1, 1, 1]\n")->approvals_required,
            (std::vector<int>{3, 2, 2, 1, 1, 1, 1}));
  for (const char* bad : {"[1, 1]", "[1, 1, 1, 1, 1, 1, 0]", "[11, 1, 1, 1, 1, 1, 1]"}) {
    EXPECT_EQ(Load(std::string("[patch]\napprovals_required = ") + bad + "\n").status().message(),
              "vigil.toml: patch.approvals_required: must list 7 numbers (levels 1 to 7), each 1 "
              "to 10")
        << bad;
  }
  // Patch uploads and rechecks: rate, threads, queue.
  Result<Config> work = Load("[patch]\nwork_per_minute = 0\ncheck_workers = 2\ncheck_queue = 10\n");
  ASSERT_TRUE(work.ok()) << work.status().ToString();
  EXPECT_EQ(work->patch_work_per_minute, 0);
  EXPECT_EQ(work->patch_check_workers, 2);
  EXPECT_EQ(work->patch_check_queue, 10);
  EXPECT_EQ(Load("")->patch_work_per_minute, 20);
  EXPECT_EQ(Load("[patch]\nwork_per_minute = -1\n").status().message(),
            "vigil.toml: patch.work_per_minute: must be 0 (no limit) to 100000");
  EXPECT_EQ(Load("[patch]\ncheck_workers = 0\n").status().message(),
            "vigil.toml: patch.check_workers: must be 1 to 64");
  EXPECT_EQ(Load("[patch]\ncheck_queue = 0\n").status().message(),
            "vigil.toml: patch.check_queue: must be 1 to 10000");
  EXPECT_EQ(Load("[other]\n").status().message(), "vigil.toml: other: unknown key");
  EXPECT_EQ(Load("[project\n").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(LoadConfig(dir_ + "/missing.toml").status().code(), Code::kNotFound);
}

TEST_F(ConfigTest, TheReportFormIsAPresetWithFieldsChangedAddedAndOrdered) {
  // A new project (`vigil init`) asks the generic form; a file from before [report_form]
  // keeps the wording its reports were written with.
  Result<Config> fresh = Load(DefaultConfigText("data", 8080));
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  ASSERT_EQ(fresh->report_form.fields.size(), GenericReportForm().fields.size());
  EXPECT_EQ(fresh->report_form.fields[2].label, "Impact");
  Result<Config> older = Load("");
  ASSERT_TRUE(older.ok()) << older.status().ToString();
  EXPECT_EQ(older->report_form.fields[2].label, "Effects on the cluster");
  Result<Config> generic = Load("[report_form]\npreset = \"generic\"\n");
  ASSERT_TRUE(generic.ok()) << generic.status().ToString();
  EXPECT_EQ(generic->report_form.fields[2].label, "Impact");

  Result<Config> c = Load(
      "[report_form]\n"
      "preset = \"generic\"\n"
      "fields = [\"subject\", \"steps\", \"effects_infrastructure\", \"effects_cluster\"]\n"
      "[[report_form.field]]\n"
      "key = \"effects_cluster\"\n"
      "label = \"Impact on users\"\n"
      "required = true\n"
      "headings = [\"user impact\"]\n"
      "[[report_form.field]]\n"
      "key = \"steps\"\n"
      "rows = 12\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const std::vector<FormField>& f = c->report_form.fields;
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[1].rows, 12);
  // Not in the generic preset: the Kubernetes wording.
  EXPECT_EQ(f[2].key, "effects_infrastructure");
  EXPECT_EQ(f[2].label, "Effects on the infrastructure");
  EXPECT_EQ(f[3].label, "Impact on users");
  EXPECT_TRUE(f[3].required);
  EXPECT_EQ(f[3].headings, std::vector<std::string>{"user impact"});
  EXPECT_EQ(f[3].help, GenericReportForm().fields[2].help);
}

TEST_F(ConfigTest, AReportFormMistakeIsNamed) {
  auto error = [this](const std::string& text) { return Load(text).status().message(); };
  EXPECT_EQ(error("[report_form]\npreset = \"debian\"\n"),
            "vigil.toml: report_form.preset: must be \"generic\" or \"kubernetes\"");
  EXPECT_EQ(error("[report_form]\ncolour = 1\n"), "vigil.toml: report_form.colour: unknown key");
  EXPECT_EQ(error("[report_form]\nfields = [\"subject\", \"steps\", \"title\"]\n"),
            "vigil.toml: report_form.fields: \"title\" is not a stored field");
  EXPECT_EQ(error("[report_form]\nfields = [\"subject\"]\n"),
            "vigil.toml: report_form: the reproduction steps must be asked for");
  EXPECT_EQ(error("[[report_form.field]]\nlabel = \"x\"\n"),
            "vigil.toml: report_form.field[1].key: missing, or not a string");
  EXPECT_EQ(error("[[report_form.field]]\nkey = \"title\"\n"),
            "vigil.toml: report_form.field[1].key: \"title\" is not a stored field (subject, "
            "steps, effects_cluster, effects_applications, effects_infrastructure, workflows, "
            "attack_vectors, other_software)");
  EXPECT_EQ(error("[[report_form.field]]\nkey = \"steps\"\nlabel = 3\n"),
            "vigil.toml: report_form.field[1].label: wrong type");
  EXPECT_EQ(error("[[report_form.field]]\nkey = \"steps\"\nlabels = \"x\"\n"),
            "vigil.toml: report_form.field[1].labels: unknown key");
  EXPECT_EQ(error("[[report_form.field]]\nkey = \"steps\"\nrequired = false\n"),
            "vigil.toml: report_form: field \"steps\": is always required");
  EXPECT_EQ(error("[[report_form.field]]\nkey = \"workflows\"\nrows = 99\n"),
            "vigil.toml: report_form: field \"workflows\": rows must be 0 to 40");
  EXPECT_EQ(error("[report_form]\nfield = 3\n"), "vigil.toml: report_form.field: wrong type");
  EXPECT_EQ(
      error("[[report_form.field]]\nkey = \"steps\"\n[[report_form.field]]\nkey = \"steps\"\n"),
      "vigil.toml: report_form.field[2].key: \"steps\" has a field table already");
  EXPECT_EQ(error("[report_form]\nfields = [\"subject\", \"steps\"]\n"
                  "[[report_form.field]]\nkey = \"workflows\"\nrows = 2\n"),
            "vigil.toml: report_form.field[1].key: \"workflows\" is not in report_form.fields");
}

}  // namespace
}  // namespace vigil
