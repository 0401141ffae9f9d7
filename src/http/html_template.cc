#include "http/html_template.h"

#include <boost/json.hpp>
#include "core/text.h"

namespace vigil {
namespace {

namespace json = boost::json;

void AppendEscaped(std::string_view s, std::string* out) {
  size_t done = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char* entity = nullptr;
    switch (s[i]) {
      case '&':
        entity = "&amp;";
        break;
      case '<':
        entity = "&lt;";
        break;
      case '>':
        entity = "&gt;";
        break;
      case '"':
        entity = "&quot;";
        break;
      case '\'':
        entity = "&apos;";
        break;
      default:
        continue;
    }
    out->append(s.data() + done, i - done);
    out->append(entity);
    done = i + 1;
  }
  out->append(s.data() + done, s.size() - done);
}

bool IsFalse(const json::value& v) {
  return v.is_null() || (v.is_bool() && !v.get_bool()) || (v.is_string() && v.get_string().empty());
}

bool IsEmptyList(const json::value& v) { return v.is_array() && v.get_array().empty(); }

}  // namespace

struct HtmlTemplate::RenderState {
  std::string* out;
  size_t line_start;                      // where the line being rendered starts in *out
  bool line_has_section;                  // a section was rendered on this line
  std::vector<const json::value*> stack;  // the context, innermost last

  const json::value* Lookup(const std::string& name) const {
    if (name == ".") return stack.back();
    for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
      if (!(*it)->is_object()) continue;
      if (const json::value* v = (*it)->get_object().if_contains(name)) return v;
    }
    return nullptr;
  }

  // Ends the current line with NEWLINE, or drops it when it only held section tags and blanks.
  void EndLine(std::string_view newline) {
    if (line_has_section && out->find_first_not_of(" \t", line_start) == std::string::npos) {
      out->resize(line_start);
    } else {
      out->append(newline);
    }
    line_start = out->size();
    line_has_section = false;
  }
};

Result<HtmlTemplate> HtmlTemplate::Compile(std::string_view source) {
  HtmlTemplate t;
  struct Open {
    std::vector<Node>* nodes;
    std::string name;
    size_t position;
  };
  std::vector<Open> open;  // the sections being parsed, innermost last
  std::vector<Node>* nodes = &t.nodes_;
  auto add_text = [&](std::string_view text) {
    if (text.empty()) return;
    if (!nodes->empty() && nodes->back().kind == Node::Kind::kText) {
      nodes->back().text.append(text);
    } else {
      nodes->push_back({Node::Kind::kText, std::string(text), {}});
    }
  };
  size_t i = 0;
  while (i < source.size()) {
    const size_t next = source.find_first_of("\r\n{", i);
    if (next == std::string_view::npos) {
      add_text(source.substr(i));
      break;
    }
    add_text(source.substr(i, next - i));
    i = next;
    if (source[i] == '\r' || source[i] == '\n') {
      const size_t len = source.substr(i, 2) == "\r\n" ? 2 : 1;
      nodes->push_back({Node::Kind::kNewline, std::string(source.substr(i, len)), {}});
      i += len;
      continue;
    }
    if (source.substr(i, 2) != "{{") {
      add_text("{");
      ++i;
      continue;
    }
    const size_t tag_start = i;
    const bool triple = source.substr(i, 3) == "{{{";
    const std::string_view close = triple ? "}}}" : "}}";
    const size_t contents_start = i + (triple ? 3 : 2);
    const size_t end = source.find(close, contents_start);
    if (end == std::string_view::npos) {
      return Status::Internal("unclosed tag at " + std::to_string(tag_start));
    }
    std::string_view contents = Trim(source.substr(contents_start, end - contents_start));
    i = end + close.size();
    Node::Kind kind = Node::Kind::kVariable;
    const char sigil = triple || contents.empty() ? '\0' : contents[0];
    if (triple) {
      kind = Node::Kind::kRaw;
    } else if (sigil == '!') {
      continue;
    } else if (sigil == '#' || sigil == '^' || sigil == '/' || sigil == '&') {
      contents = Trim(contents.substr(1));
      kind = sigil == '#'   ? Node::Kind::kSection
             : sigil == '^' ? Node::Kind::kInverted
             : sigil == '&' ? Node::Kind::kRaw
                            : kind;
    } else if (sigil == '>' || sigil == '=') {
      return Status::Internal("unsupported tag \"" +
                              std::string(source.substr(tag_start, i - tag_start)) + "\" at " +
                              std::to_string(tag_start));
    }
    if (contents != "." && contents.find('.') != std::string_view::npos) {
      return Status::Internal("unsupported tag \"" +
                              std::string(source.substr(tag_start, i - tag_start)) + "\" at " +
                              std::to_string(tag_start));
    }
    if (sigil == '/') {
      if (open.empty()) {
        return Status::Internal("unopened section \"" + std::string(contents) + "\" at " +
                                std::to_string(tag_start));
      }
      if (open.back().name != contents) {
        return Status::Internal("section \"" + open.back().name + "\" at " +
                                std::to_string(open.back().position) + " is closed by \"" +
                                std::string(contents) + "\"");
      }
      nodes = open.back().nodes;
      open.pop_back();
      continue;
    }
    nodes->push_back({kind, std::string(contents), {}});
    if (kind == Node::Kind::kSection || kind == Node::Kind::kInverted) {
      open.push_back({nodes, std::string(contents), tag_start});
      nodes = &nodes->back().children;
    }
  }
  if (!open.empty()) {
    return Status::Internal("unclosed section \"" + open.back().name + "\" at " +
                            std::to_string(open.back().position));
  }
  return t;
}

void HtmlTemplate::RenderNodes(const std::vector<Node>& nodes, RenderState& s) {
  for (const Node& n : nodes) {
    switch (n.kind) {
      case Node::Kind::kText:
        s.out->append(n.text);
        break;
      case Node::Kind::kNewline:
        s.EndLine(n.text);
        break;
      case Node::Kind::kVariable:
      case Node::Kind::kRaw: {
        const json::value* v = s.Lookup(n.text);
        if (!v) break;
        std::string number;
        std::string_view text;
        if (v->is_string()) {
          text = v->get_string();
        } else if (v->is_int64()) {
          number = std::to_string(v->get_int64());
        } else if (v->is_uint64()) {
          number = std::to_string(v->get_uint64());
        } else if (v->is_double()) {
          number = std::to_string(v->get_double());
        }
        if (!number.empty()) text = number;
        if (n.kind == Node::Kind::kVariable) {
          AppendEscaped(text, s.out);
        } else {
          s.out->append(text);
        }
        break;
      }
      case Node::Kind::kSection: {
        const json::value* v = s.Lookup(n.text);
        if (!v || IsFalse(*v) || IsEmptyList(*v)) break;
        if (v->is_array()) {
          for (const json::value& item : v->get_array()) {
            s.line_has_section = true;
            s.stack.push_back(&item);
            RenderNodes(n.children, s);
            s.stack.pop_back();
          }
        } else {
          s.line_has_section = true;
          s.stack.push_back(v);
          RenderNodes(n.children, s);
          s.stack.pop_back();
        }
        s.line_has_section = true;
        break;
      }
      case Node::Kind::kInverted: {
        const json::value* v = s.Lookup(n.text);
        if (v && !IsFalse(*v) && !IsEmptyList(*v)) break;
        s.line_has_section = true;
        if (v) s.stack.push_back(v);  // kainjow's context inside, for {{.}}
        RenderNodes(n.children, s);
        if (v) s.stack.pop_back();
        s.line_has_section = true;
        break;
      }
    }
  }
}

void HtmlTemplate::Render(const json::value& model, std::string* out) const {
  RenderState s{out, out->size(), false, {&model}};
  RenderNodes(nodes_, s);
  // The last line, which has no newline.
  if (s.line_has_section && out->find_first_not_of(" \t", s.line_start) == std::string::npos) {
    out->resize(s.line_start);
  }
}

}  // namespace vigil
