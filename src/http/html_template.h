// A compiled mustache template rendered straight from a boost::json value into one output string:
// no conversion of the model, no copy of it per section, no intermediate line strings.
//
// The subset the pages use: `{{name}}` (HTML-escaped), `{{{name}}}` and `{{&name}}` (raw),
// `{{#name}}...{{/name}}`, `{{^name}}...{{/name}}`, `{{! comment}}` and `{{.}}`. Partials, set
// delimiters and dotted names are refused at compile time.
//
// It renders byte for byte what kainjow mustache (the engine the pages used before, kept as the
// reference in html_template_test.cc) renders from the same model converted as the pages did:
// - false, null and "" are false; an empty array is false; everything else is true, 0 included;
// - `{{x}}` prints strings and numbers (integers in decimal, doubles as std::to_string), nothing
//   for booleans, null, arrays and objects;
// - `&<>"'` are escaped as `&amp; &lt; &gt; &quot; &apos;`;
// - a line is dropped (with its newline) when a section was rendered on it and what it printed
//   is only spaces and tabs (kainjow's rule for "standalone" tags; a section that is skipped
//   does not count).
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vigil {

class HtmlTemplate {
 public:
  /// Compiles SOURCE. Error kInternal: "unclosed tag at 12", "unopened section \"x\" at 40",
  /// "unclosed section \"x\" at 3", "section \"x\" at 3 is closed by \"y\"", "unsupported tag
  /// \"{{>x}}\" at 7".
  static Result<HtmlTemplate> Compile(std::string_view source);

  /// Appends the template rendered with MODEL to OUT. Thread-safe (const, no shared state).
  void Render(const boost::json::value& model, std::string* out) const;

 private:
  struct Node {
    enum class Kind { kText, kNewline, kVariable, kRaw, kSection, kInverted };
    Kind kind;
    std::string text;            // the text, or the name looked up
    std::vector<Node> children;  // of a section
  };
  struct RenderState;

  static void RenderNodes(const std::vector<Node>& nodes, RenderState& s);

  std::vector<Node> nodes_;
};

}  // namespace vigil
