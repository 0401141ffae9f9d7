#include "http/json_body.h"

#include <boost/json.hpp>
#include <set>
#include <string_view>

namespace vigil {
namespace {

namespace json = boost::json;

Status WrongType(const std::string& field, const char* what) {
  return Status::Invalid("field \"" + field + "\" must be " + what);
}

Status Missing(const char* field) {
  return Status::Invalid(std::string("field \"") + field + "\" is required");
}

}  // namespace

HttpResponse JsonResponse(int status, const json::value& v) {
  HttpResponse r;
  r.status = status;
  r.body = json::serialize(v);
  r.body += '\n';
  return r;
}

Result<JsonBody> JsonBody::Parse(const HttpRequest& req,
                                 std::initializer_list<const char*> allowed) {
  JsonBody b;
  if (req.body.empty()) return b;
  if (!std::string_view(req.content_type).starts_with("application/json")) {
    return Status::Invalid("Content-Type must be application/json");
  }
  json::parse_options opts;
  opts.max_depth = kMaxJsonBodyDepth;
  std::error_code ec;
  json::value v = json::parse(req.body, ec, {}, opts);
  if (ec) return Status::Invalid("request body is not valid JSON");
  if (!v.is_object()) return Status::Invalid("request body must be a JSON object");
  b.obj_ = std::move(v.as_object());
  const std::set<std::string_view> known(allowed.begin(), allowed.end());
  for (const auto& kv : b.obj_) {
    if (!known.count(kv.key())) {
      return Status::Invalid("unknown field \"" + std::string(kv.key().substr(0, 64)) + "\"");
    }
  }
  return b;
}

Result<std::string> JsonBody::String(const char* key, bool required) const {
  Result<std::optional<std::string>> v = OptString(key);
  if (!v.ok()) return v.status();
  if (!*v && required) return Missing(key);
  return std::move(*v).value_or("");
}

Result<std::optional<std::string>> JsonBody::OptString(const char* key) const {
  const json::value* v = obj_.if_contains(key);
  if (!v || v->is_null()) return std::optional<std::string>();
  if (!v->is_string()) return WrongType(key, "a string");
  return std::optional<std::string>(std::string(v->as_string()));
}

Result<int64_t> JsonBody::Int(const char* key, bool required) const {
  Result<std::optional<int64_t>> v = OptInt(key);
  if (!v.ok()) return v.status();
  if (!*v && required) return Missing(key);
  return v->value_or(0);
}

Result<std::optional<int64_t>> JsonBody::OptInt(const char* key) const {
  const json::value* v = obj_.if_contains(key);
  if (!v || v->is_null()) return std::optional<int64_t>();
  if (!v->is_int64()) return WrongType(key, "an integer");
  return std::optional<int64_t>(v->as_int64());
}

Result<bool> JsonBody::Bool(const char* key) const {
  const json::value* v = obj_.if_contains(key);
  if (!v || v->is_null()) return false;
  if (!v->is_bool()) return WrongType(key, "a boolean");
  return v->as_bool();
}

Result<std::optional<std::vector<std::string>>> JsonBody::OptStrings(const char* key) const {
  const json::value* v = obj_.if_contains(key);
  if (!v || v->is_null()) return std::optional<std::vector<std::string>>();
  if (!v->is_array()) return WrongType(key, "an array");
  std::vector<std::string> out;
  for (const json::value& x : v->as_array()) {
    if (!x.is_string()) return WrongType(key, "an array of strings");
    out.emplace_back(x.as_string());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

Result<std::optional<std::vector<std::vector<std::string>>>> JsonBody::OptRows(
    const char* key, std::initializer_list<const char*> fields) const {
  const json::value* v = obj_.if_contains(key);
  if (!v || v->is_null()) return std::optional<std::vector<std::vector<std::string>>>();
  if (!v->is_array()) return WrongType(key, "an array");
  std::vector<std::vector<std::string>> rows;
  for (const json::value& item : v->as_array()) {
    if (!item.is_object()) return WrongType(key, "an array of objects");
    std::vector<std::string> row;
    for (const char* f : fields) {
      const json::value* x = item.as_object().if_contains(f);
      if (x && !x->is_null() && !x->is_string()) {
        return WrongType(std::string(key) + "." + f, "a string");
      }
      row.push_back(x && x->is_string() ? std::string(x->as_string()) : "");
    }
    rows.push_back(std::move(row));
  }
  return std::optional<std::vector<std::vector<std::string>>>(std::move(rows));
}

}  // namespace vigil
