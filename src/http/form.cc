#include "http/form.h"

#include <cctype>
#include "core/text.h"

namespace vigil {
namespace {

const Status kMalformed = Status::Invalid("the form is malformed");

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> Decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return kMalformed;
      const int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return kMalformed;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The value of parameter NAME (e.g. boundary, name, filename) in a header value like
// `form-data; name="x"; filename="a.txt"`. Quoted values may contain escaped quotes.
std::string HeaderParam(std::string_view header, std::string_view name) {
  size_t i = header.find(';');
  while (i != std::string_view::npos && i < header.size()) {
    ++i;
    while (i < header.size() && header[i] == ' ') ++i;
    const size_t eq = header.find('=', i);
    if (eq == std::string_view::npos) return "";
    std::string key(header.substr(i, eq - i));
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t j = eq + 1;
    std::string value;
    if (j < header.size() && header[j] == '"') {
      ++j;
      while (j < header.size() && header[j] != '"') {
        if (header[j] == '\\' && j + 1 < header.size()) ++j;
        value += header[j++];
      }
      ++j;
    } else {
      while (j < header.size() && header[j] != ';') value += header[j++];
      while (!value.empty() && value.back() == ' ') value.pop_back();
    }
    if (key == name) return value;
    i = header.find(';', j);
  }
  return "";
}

Result<Form> ParseMultipart(std::string_view body, const std::string& boundary) {
  if (boundary.empty() || boundary.size() > 200) return kMalformed;
  Form form;
  const std::string delimiter = "--" + boundary;
  size_t pos = body.find(delimiter);
  if (pos == std::string_view::npos) return kMalformed;
  pos += delimiter.size();
  for (;;) {
    if (body.substr(pos, 2) == "--") break;  // the closing delimiter
    if (body.substr(pos, 2) != "\r\n") return kMalformed;
    pos += 2;
    const size_t headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos) return kMalformed;
    std::string_view headers = body.substr(pos, headers_end - pos);
    const size_t data_start = headers_end + 4;
    const size_t next = body.find("\r\n" + delimiter, data_start);
    if (next == std::string_view::npos) return kMalformed;
    std::string name, filename, content_type;
    bool has_filename = false;
    size_t h = 0;
    while (h <= headers.size()) {
      size_t eol = headers.find("\r\n", h);
      if (eol == std::string_view::npos) eol = headers.size();
      std::string_view line = headers.substr(h, eol - h);
      if (StartsWithIgnoreCase(line, "content-disposition:")) {
        name = HeaderParam(line, "name");
        has_filename = line.find("filename=") != std::string_view::npos;
        filename = HeaderParam(line, "filename");
      } else if (StartsWithIgnoreCase(line, "content-type:")) {
        std::string_view v = line.substr(13);
        while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
        content_type = std::string(v.substr(0, 100));
      }
      h = eol + 2;
    }
    if (name.empty() || name.size() > kMaxFormNameBytes) return kMalformed;
    if (form.fields.size() + form.files.size() >= kMaxFormFields) {
      return Status::Invalid("the form has too many fields");
    }
    std::string data(body.substr(data_start, next - data_start));
    if (has_filename) {
      form.files.push_back({name, filename, content_type, std::move(data)});
    } else {
      form.fields.emplace_back(name, std::move(data));
    }
    pos = next + 2 + delimiter.size();
  }
  return form;
}

}  // namespace

std::string Form::Get(std::string_view name) const {
  for (auto it = fields.rbegin(); it != fields.rend(); ++it) {
    if (it->first == name) return it->second;
  }
  return "";
}

bool Form::Has(std::string_view name) const {
  for (const auto& f : fields) {
    if (f.first == name) return true;
  }
  return false;
}

Result<std::vector<std::pair<std::string, std::string>>> ParseUrlEncoded(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t amp = text.find('&', i);
    if (amp == std::string_view::npos) amp = text.size();
    std::string_view pair = text.substr(i, amp - i);
    i = amp + 1;
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    Result<std::string> key = Decode(pair.substr(0, eq));
    VIGIL_RETURN_IF_ERROR(key.status());
    Result<std::string> value =
        eq == std::string_view::npos ? std::string() : Decode(pair.substr(eq + 1));
    VIGIL_RETURN_IF_ERROR(value.status());
    if (key->size() > kMaxFormNameBytes) return kMalformed;
    if (out.size() >= kMaxFormFields) return Status::Invalid("the form has too many fields");
    out.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

Result<Form> ParseForm(const HttpRequest& req) {
  std::string_view ct = req.content_type;
  if (StartsWithIgnoreCase(ct, "application/x-www-form-urlencoded")) {
    Result<std::vector<std::pair<std::string, std::string>>> fields = ParseUrlEncoded(req.body);
    VIGIL_RETURN_IF_ERROR(fields.status());
    Form f;
    f.fields = std::move(*fields);
    return f;
  }
  if (StartsWithIgnoreCase(ct, "multipart/form-data")) {
    return ParseMultipart(req.body, HeaderParam(ct, "boundary"));
  }
  if (req.body.empty()) return Form{};
  return Status::Invalid("the form is not url-encoded or multipart");
}

}  // namespace vigil
