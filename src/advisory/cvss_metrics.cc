#include "advisory/cvss_metrics.h"

#include <string>

namespace vigil::advisory::internal {

int FindMetric(std::span<const MetricSpec> specs, std::string_view name) {
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

Status ParseMetrics(std::string_view body, std::span<const MetricSpec> specs,
                    std::string_view label, bool ordered, std::span<std::string_view> out) {
  const std::string prefix(label);
  for (auto& value : out) value = {};
  int last_index = -1;
  while (true) {
    const std::size_t slash = body.find('/');
    const std::string_view component = body.substr(0, slash);
    if (component.empty()) return Status::Invalid("empty metric in " + prefix + " vector");
    const std::size_t colon = component.find(':');
    if (colon == std::string_view::npos) {
      return Status::Invalid(prefix + " metric \"" + std::string(component) +
                             "\" is not NAME:VALUE");
    }
    const std::string name(component.substr(0, colon));
    const std::string_view value = component.substr(colon + 1);
    const int index = FindMetric(specs, name);
    if (index < 0) return Status::Invalid("unknown " + prefix + " metric \"" + name + "\"");
    if (!out[index].empty()) {
      return Status::Invalid("duplicate " + prefix + " metric \"" + name + "\"");
    }
    if (ordered && index < last_index) {
      return Status::Invalid(prefix + " metric \"" + name + "\" must come before \"" +
                             std::string(specs[last_index].name) + "\"");
    }
    bool known_value = false;
    for (std::string_view allowed : specs[index].values) {
      if (!allowed.empty() && allowed == value) {
        out[index] = allowed;  // a view into the constant table, not into BODY
        known_value = true;
        break;
      }
    }
    if (!known_value) {
      return Status::Invalid("invalid value \"" + std::string(value) + "\" for " + prefix +
                             " metric \"" + name + "\"");
    }
    last_index = index;
    if (slash == std::string_view::npos) break;
    body.remove_prefix(slash + 1);
  }
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (!out[i].empty()) continue;
    if (specs[i].mandatory) {
      return Status::Invalid("missing " + prefix + " base metric \"" + std::string(specs[i].name) +
                             "\"");
    }
    out[i] = "X";
  }
  return Status::Ok();
}

std::string FormatMetrics(std::string_view prefix, std::span<const MetricSpec> specs,
                          std::span<const std::string_view> values) {
  std::string out(prefix);
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (!specs[i].mandatory && values[i] == "X") continue;
    out += '/';
    out += specs[i].name;
    out += ':';
    out += values[i];
  }
  return out;
}

}  // namespace vigil::advisory::internal
