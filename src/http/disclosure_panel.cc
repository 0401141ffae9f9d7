#include "http/disclosure_panel.h"

#include <boost/json.hpp>

#include "core/level_policy.h"
#include "service/advisory_service.h"
#include "service/disclosure_service.h"

namespace vigil {

ReportPanelFiller DisclosurePanel(AdvisoryService& advisories, DisclosureService& disclosure,
                                  const Config& config) {
  return [a = &advisories, d = &disclosure, c = &config](const ReportPanelInput& in,
                                                         boost::json::object* model) {
    namespace json = boost::json;
    const Report& r = in.report;
    Result<AdvisoryDraft> draft = a->Draft(r.id);
    Result<std::optional<DisclosurePlanRow>> plan = d->Plan(r.id);
    if (!draft.ok() || !plan.ok()) return false;
    if (plan->has_value()) {
      const DisclosurePlanRow& p = **plan;
      json::array targets;
      if (r.level >= kMinLevel && r.level <= kMaxLevel) {
        for (const std::string& b :
             RequiredBranches(r.level, c->master_branch, c->supported_branches)) {
          targets.push_back(json::object{{"branch", b}});
        }
      }
      (*model)["plan"] = json::object{{"slot", FormatUtc(p.slot)},
                                      {"on_duty", p.on_duty},
                                      {"confirmed", p.confirmed_at != 0},
                                      {"targets", std::move(targets)}};
    }
    json::array cvss;
    for (const std::string& v : draft->cvss_vectors) {
      Result<std::string> scores = DescribeScores(v);
      cvss.push_back(json::object{{"vector", v}, {"scores", scores.ok() ? *scores : ""}});
    }
    (*model)["advisory"] = json::object{
        {"title", draft->title}, {"summary", draft->summary}, {"cvss", std::move(cvss)}};
    (*model)["can_edit"] = in.staff;
    return true;
  };
}

}  // namespace vigil
