#include "http/page_renderer.h"

#include <boost/json.hpp>

#include "http/web_assets.h"

namespace vigil {

PageRenderer::PageRenderer() = default;
PageRenderer::~PageRenderer() = default;

Status PageRenderer::Init() {
  for (const WebAsset& a : WebAssets()) {
    constexpr std::string_view kTemplates = "templates/", kStatic = "static/", kExt = ".mustache";
    if (a.name.starts_with(kTemplates) && a.name.ends_with(kExt)) {
      std::string name(
          a.name.substr(kTemplates.size(), a.name.size() - kTemplates.size() - kExt.size()));
      Result<HtmlTemplate> t = HtmlTemplate::Compile(a.data);
      if (!t.ok()) return Status::Internal("template " + name + ": " + t.status().message());
      templates_.emplace(std::move(name), std::move(*t));
    } else if (a.name.starts_with(kStatic)) {
      statics_.emplace(std::string(a.name.substr(kStatic.size())), a.data);
    }
  }
  return Status::Ok();
}

std::string PageRenderer::Render(std::string_view name, const boost::json::value& model) const {
  std::string out;
  RenderTo(name, model, &out);
  return out;
}

void PageRenderer::RenderTo(std::string_view name, const boost::json::value& model,
                            std::string* out) const {
  auto it = templates_.find(name);
  if (it == templates_.end()) {
    out->append("<!-- missing template " + std::string(name) + " -->");
    return;
  }
  it->second.Render(model, out);
}

const std::string_view* PageRenderer::Static(std::string_view name) const {
  auto it = statics_.find(name);
  return it == statics_.end() ? nullptr : &it->second;
}

}  // namespace vigil
