#include "http/page_renderer.h"

#include <boost/json.hpp>
#include <kainjow/mustache.hpp>

#include "http/web_assets.h"

namespace vigil {

namespace mustache = kainjow::mustache;

// kainjow's renderer keeps per-render state in the template object, so each template has a
// pool of compiled copies; a render borrows one (compiling another when all are in use).
struct PageRenderer::Compiled {
  std::string source;
  std::mutex mu;
  std::vector<std::unique_ptr<mustache::mustache>> idle;  // guarded by mu
};

namespace {

mustache::data ToData(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::object: {
      mustache::data d{mustache::data::type::object};
      for (const auto& kv : v.get_object()) d.set(std::string(kv.key()), ToData(kv.value()));
      return d;
    }
    case boost::json::kind::array: {
      mustache::data d{mustache::data::type::list};
      for (const auto& item : v.get_array()) d.push_back(ToData(item));
      return d;
    }
    case boost::json::kind::string:
      // An empty string is false, so that {{#x}}...{{/x}} leaves out what is not there (kainjow
      // treats every string as true); {{x}} of false renders nothing, like "".
      if (v.get_string().empty()) return mustache::data(false);
      return mustache::data(std::string(v.get_string()));
    case boost::json::kind::bool_:
      return mustache::data(v.get_bool());
    case boost::json::kind::int64:
      return mustache::data(std::to_string(v.get_int64()));
    case boost::json::kind::uint64:
      return mustache::data(std::to_string(v.get_uint64()));
    case boost::json::kind::double_:
      return mustache::data(std::to_string(v.get_double()));
    case boost::json::kind::null:
      return mustache::data(false);
  }
  return mustache::data(false);
}

}  // namespace

PageRenderer::PageRenderer() = default;
PageRenderer::~PageRenderer() = default;

Status PageRenderer::Init() {
  for (const WebAsset& a : WebAssets()) {
    constexpr std::string_view kTemplates = "templates/", kStatic = "static/", kExt = ".mustache";
    if (a.name.starts_with(kTemplates) && a.name.ends_with(kExt)) {
      std::string name(
          a.name.substr(kTemplates.size(), a.name.size() - kTemplates.size() - kExt.size()));
      auto c = std::make_unique<Compiled>();
      c->source = std::string(a.data);
      auto first = std::make_unique<mustache::mustache>(c->source);
      if (!first->is_valid()) {
        return Status::Internal("template " + name + ": " + first->error_message());
      }
      c->idle.push_back(std::move(first));
      templates_.emplace(std::move(name), std::move(c));
    } else if (a.name.starts_with(kStatic)) {
      statics_.emplace(std::string(a.name.substr(kStatic.size())), a.data);
    }
  }
  return Status::Ok();
}

std::string PageRenderer::Render(std::string_view name, const boost::json::value& model) const {
  auto it = templates_.find(name);
  if (it == templates_.end()) return "<!-- missing template " + std::string(name) + " -->";
  Compiled& c = *it->second;
  std::unique_ptr<mustache::mustache> tmpl;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    if (!c.idle.empty()) {
      tmpl = std::move(c.idle.back());
      c.idle.pop_back();
    }
  }
  if (!tmpl) tmpl = std::make_unique<mustache::mustache>(c.source);
  std::string out;
  out.reserve(16 << 10);
  tmpl->render(ToData(model), [&out](const std::string& s) { out += s; });
  std::lock_guard<std::mutex> lock(c.mu);
  c.idle.push_back(std::move(tmpl));
  return out;
}

const std::string_view* PageRenderer::Static(std::string_view name) const {
  auto it = statics_.find(name);
  return it == statics_.end() ? nullptr : &it->second;
}

}  // namespace vigil
