// HtmlTemplate against the reference, kainjow mustache (the engine the pages used before), fed
// the model converted the way the pages converted it: byte-identical output on hand-written cases
// and on every embedded template with generated models; exact compile errors.
#include "http/html_template.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <kainjow/mustache.hpp>
#include <regex>
#include <set>

#include "http/web_assets.h"

namespace vigil {
namespace {

namespace json = boost::json;
namespace mustache = kainjow::mustache;

// The pages' former conversion: "" and null are false, numbers are their decimal strings.
mustache::data ToKainjow(const json::value& v) {
  switch (v.kind()) {
    case json::kind::object: {
      mustache::data d{mustache::data::type::object};
      for (const auto& kv : v.get_object()) d.set(std::string(kv.key()), ToKainjow(kv.value()));
      return d;
    }
    case json::kind::array: {
      mustache::data d{mustache::data::type::list};
      for (const auto& item : v.get_array()) d.push_back(ToKainjow(item));
      return d;
    }
    case json::kind::string:
      if (v.get_string().empty()) return mustache::data(false);
      return mustache::data(std::string(v.get_string()));
    case json::kind::bool_:
      return mustache::data(v.get_bool());
    case json::kind::int64:
      return mustache::data(std::to_string(v.get_int64()));
    case json::kind::uint64:
      return mustache::data(std::to_string(v.get_uint64()));
    case json::kind::double_:
      return mustache::data(std::to_string(v.get_double()));
    case json::kind::null:
      return mustache::data(false);
  }
  return mustache::data(false);
}

std::string Reference(const std::string& source, const json::value& model) {
  mustache::mustache t{source};
  EXPECT_TRUE(t.is_valid()) << t.error_message();
  std::string out;
  t.render(ToKainjow(model), [&out](const std::string& s) { out += s; });
  return out;
}

std::string Ours(const std::string& source, const json::value& model) {
  Result<HtmlTemplate> t = HtmlTemplate::Compile(source);
  EXPECT_TRUE(t.ok()) << t.status().message();
  if (!t.ok()) return "";
  std::string out = "kept:";  // Render appends
  t->Render(model, &out);
  EXPECT_TRUE(out.starts_with("kept:"));
  return out.substr(5);
}

TEST(HtmlTemplate, MatchesTheReferenceOnHandWrittenCases) {
  const json::value model = json::parse(R"({
    "name": "<script>alert('x') & \"y\"</script>", "empty": "", "yes": true, "no": false,
    "nothing": null, "zero": 0, "big": 18446744073709551615, "neg": -3, "pi": 1.5,
    "list": [{"a": "1", "b": true}, {"a": "", "b": false}, {"a": "3\nline"}],
    "none": [], "obj": {"a": "inner", "name": "shadow"}, "words": ["x", "y<"]
  })");
  const char* cases[] = {
      "plain text, no tags",
      "{{name}}|{{{name}}}|{{&name}}|{{ name }}|{{missing}}|{{! a comment }}end",
      "{{empty}}{{yes}}{{no}}{{nothing}}{{zero}}{{big}}{{neg}}{{pi}}{{list}}{{obj}}",
      "{{#yes}}Y{{/yes}}{{#no}}N{{/no}}{{^no}}notN{{/no}}{{^yes}}notY{{/yes}}",
      "{{#empty}}E{{/empty}}{{^empty}}noE{{/empty}}",
      "{{#nothing}}0{{/nothing}}{{^missing}}M{{/missing}}",
      "{{#zero}}zero is true{{/zero}}{{#none}}x{{/none}}{{^none}}no items{{/none}}",
      "{{#list}}[{{a}}{{#b}}+{{/b}}{{^b}}-{{/b}}{{name}}]{{/list}}",
      "{{#obj}}{{a}} {{name}} {{zero}}{{/obj}}",
      "{{#words}}<{{.}}>{{/words}}{{#name}}{{.}}{{/name}}",
      "a\n  {{#yes}}\n  in\n  {{/yes}}\nb\n",
      "a\n  {{#no}}\n  in\n  {{/no}}\nb\n",
      "a\n\t{{^no}}  \n{{/no}}  \nb\r\nc\rd\n  {{#list}}  {{/list}}  ",
      "<ul>\n  {{#list}}\n  <li>{{a}}</li>\n  {{/list}}\n</ul>\n{{#none}}\n{{/none}}\n",
      "  {{empty}}  \n{{#yes}}{{/yes}}\n   \n",
      "one { brace {x} and }} and {{#list}}{{#b}}{{#obj}}{{a}}{{/obj}}{{/b}}{{/list}}",
      "{{#list}}\n{{a}}\n{{/list}}",
  };
  for (const char* c : cases) {
    EXPECT_EQ(Ours(c, model), Reference(c, model)) << c;
  }
  EXPECT_EQ(Ours("{{name}}", model),
            "&lt;script&gt;alert(&apos;x&apos;) &amp; &quot;y&quot;&lt;/script&gt;");
  EXPECT_EQ(Ours("a\n  {{#yes}}\n  in\n  {{/yes}}\nb", model), "a\n  in\nb");
}

// A model for SOURCE: every name it uses, given a value whose type depends on the name's position
// and on SEED (hostile text for an escaped name); sections get lists of two such objects, one level
// deep.
json::object Generated(const std::string& source, int seed, int depth) {
  static const std::regex tag(R"(\{\{\{?[#^&/]?\s*([a-z_0-9]+)\s*\}?\}\})");
  static const std::regex raw_tag(R"(\{\{(?:\{|&)\s*([a-z_0-9]+))");
  std::set<std::string> names, raw;
  for (std::sregex_iterator it(source.begin(), source.end(), tag), end; it != end; ++it) {
    names.insert((*it)[1]);
  }
  for (std::sregex_iterator it(source.begin(), source.end(), raw_tag), end; it != end; ++it) {
    raw.insert((*it)[1]);
  }
  json::object o;
  int i = seed;
  for (const std::string& n : names) {
    if (raw.count(n)) {
      o[n] = "<i>HTML the server made</i>\n";  // {{{x}}}: raw by design
      continue;
    }
    switch (i++ % 6) {
      case 0:
        o[n] = "<b>" + n + "</b> & 'q' \"d\"\nnext line";
        break;
      case 1:
        o[n] = true;
        break;
      case 2:
        if (depth > 0) {
          o[n] = json::array{Generated(source, seed + 1, depth - 1),
                             Generated(source, seed + 2, depth - 1)};
        } else {
          o[n] = json::array{};
        }
        break;
      case 3:
        o[n] = "";
        break;
      case 4:
        o[n] = false;
        break;
      case 5:
        o[n] = seed;
        break;
    }
  }
  return o;
}

TEST(HtmlTemplate, MatchesTheReferenceOnEveryEmbeddedTemplate) {
  int templates = 0;
  for (const WebAsset& a : WebAssets()) {
    if (!a.name.starts_with("templates/")) continue;
    ++templates;
    const std::string source(a.data);
    for (int seed = 0; seed < 6; ++seed) {
      const json::value model = Generated(source, seed, 1);
      const std::string ours = Ours(source, model);
      EXPECT_EQ(ours, Reference(source, model)) << a.name << " seed " << seed;
      EXPECT_EQ(ours.find("<b>"), std::string::npos) << a.name << ": a value was not escaped";
    }
  }
  EXPECT_GT(templates, 5);
}

TEST(HtmlTemplate, CompileErrors) {
  auto error = [](const char* source) {
    Result<HtmlTemplate> t = HtmlTemplate::Compile(source);
    return t.ok() ? std::string("compiled") : t.status().message();
  };
  EXPECT_EQ(error("ab{{name"), "unclosed tag at 2");
  EXPECT_EQ(error("ab{{{name}}"), "unclosed tag at 2");
  EXPECT_EQ(error("x{{/a}}"), "unopened section \"a\" at 1");
  EXPECT_EQ(error("{{#a}}{{^b}}"), "unclosed section \"b\" at 6");
  EXPECT_EQ(error("{{#a}}{{/b}}"), "section \"a\" at 0 is closed by \"b\"");
  EXPECT_EQ(error("{{>partial}}"), "unsupported tag \"{{>partial}}\" at 0");
  EXPECT_EQ(error("x{{=<% %>=}}"), "unsupported tag \"{{=<% %>=}}\" at 1");
  EXPECT_EQ(error("{{a.b}}"), "unsupported tag \"{{a.b}}\" at 0");
  EXPECT_EQ(error("{{#a}}{{.}}{{/a}}"), "compiled");
}

}  // namespace
}  // namespace vigil
