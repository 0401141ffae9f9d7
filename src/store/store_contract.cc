#include "store/store_contract.h"

#include <stdlib.h>

#include <filesystem>

#include "store/audit_chain.h"

namespace vigil::contract {

std::string HashOf(const std::string& text) { return Sha256Hex(text); }

void StoreContract::SetUp() {
  char tmpl[] = "/tmp/vigil-contract-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  dir_ = tmpl;
  Reopen();
}

void StoreContract::TearDown() {
  store_.reset();
  std::filesystem::remove_all(dir_);
}

void StoreContract::Reopen() {
  store_.reset();
  Result<std::unique_ptr<Store>> s = GetParam().open(dir_);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  store_ = std::move(s).value();
}

WriteBatch StoreContract::NewReport(const std::string& subject, const std::string& token) {
  Report r;
  r.fields.subject = subject;
  r.fields.steps = "steps to reproduce " + subject;
  r.created_at = r.updated_at = kT0;
  r.embargo.start = kT0;
  r.embargo.end = kT0 + 90 * kMicrosPerDay;
  Participant p;
  p.email = kReporter;
  p.role = Role::kReporter;
  p.added_at = kT0;
  p.added_by = "anonymous";
  if (!token.empty()) p.token_hash = HashOf(token);
  r.participants.push_back(p);
  WriteBatch b;
  b.report = r;
  b.id_prefix = "SEC";
  b.events.push_back({"", kT0, "anonymous", "report.submitted", "{\"subject\":\"x\"}"});
  b.outbox.push_back({0, "", kReporter, "receipt", "received", "thanks", kT0});
  return b;
}

std::string StoreContract::Submit(const std::string& subject) {
  Result<WriteResult> w = store_->Write(NewReport(subject));
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  return w.ok() ? w->report_id : "";
}

WriteBatch StoreContract::Change(const std::string& id) {
  Result<Report> r = store_->GetReport(id);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  WriteBatch b;
  if (!r.ok()) return b;
  b.report = *r;
  b.expected_version = r->version;
  b.now = kT0 + kMicrosPerSecond;
  return b;
}

Result<WriteResult> StoreContract::Append(const std::string& id, const std::string& kind,
                                          const std::string& actor) {
  WriteBatch b = Change(id);
  b.events.push_back({id, kT0 + (b.expected_version + 1) * kMicrosPerSecond, actor, kind, "{}"});
  return store_->Write(std::move(b));
}

}  // namespace vigil::contract
