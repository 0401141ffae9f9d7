// Server-side HTML: mustache templates (escaping by default) rendered from JSON view-models
// by HtmlTemplate.
// The templates are the embedded files web/templates/<name>.mustache.
#pragma once

#include <boost/json/value.hpp>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "http/html_template.h"

namespace vigil {

class PageRenderer {
 public:
  PageRenderer();
  ~PageRenderer();
  PageRenderer(const PageRenderer&) = delete;
  PageRenderer& operator=(const PageRenderer&) = delete;

  /// Compiles every embedded template. Error kInternal naming the template that fails to parse.
  Status Init();

  /// Renders template NAME ("dashboard") with MODEL. `{{x}}` is HTML-escaped; `{{{x}}}` is used
  /// only for HTML the server made (a rendered sub-template, safe Markdown, an SVG).
  /// Thread-safe. REQUIRES: Init() succeeded and NAME exists.
  std::string Render(std::string_view name, const boost::json::value& model) const;
  /// The same, appended to OUT.
  void RenderTo(std::string_view name, const boost::json::value& model, std::string* out) const;

  /// The embedded static file NAME ("vigil.css"), or nullptr.
  const std::string_view* Static(std::string_view name) const;

 private:
  std::map<std::string, HtmlTemplate, std::less<>> templates_;
  std::map<std::string, std::string_view, std::less<>> statics_;
};

}  // namespace vigil
