// The JSON edge of the API: one parser for request bodies (allowed fields, depth limit, typed
// accessors whose errors name the field) and one way to write a JSON response.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "http/http_types.h"

namespace vigil {

/// Nesting deeper than this is refused: no route takes more than an array of objects.
inline constexpr int kMaxJsonBodyDepth = 16;

/// V serialized as the body of a JSON response with STATUS, ending in a newline.
HttpResponse JsonResponse(int status, const boost::json::value& v);

/// A request body: a JSON object whose keys must all be in the route's allowed list. An empty body
/// is an empty object. Every error is a Status::Invalid that names the field at fault.
class JsonBody {
 public:
  /// Errors: "Content-Type must be application/json", "request body is not valid JSON" (also past
  /// kMaxJsonBodyDepth), "request body must be a JSON object", "unknown field \"x\"".
  static Result<JsonBody> Parse(const HttpRequest& req, std::initializer_list<const char*> allowed);

  /// The string at KEY; "" when absent or null unless REQUIRED ("field \"x\" is required").
  Result<std::string> String(const char* key, bool required) const;
  /// The string at KEY, or nullopt when absent or null.
  Result<std::optional<std::string>> OptString(const char* key) const;
  /// The integer at KEY; 0 when absent or null unless REQUIRED.
  Result<int64_t> Int(const char* key, bool required) const;
  /// The integer at KEY, or nullopt when absent or null.
  Result<std::optional<int64_t>> OptInt(const char* key) const;
  /// The boolean at KEY; false when absent or null.
  Result<bool> Bool(const char* key) const;
  /// The strings of the array at KEY, or nullopt when absent or null.
  Result<std::optional<std::vector<std::string>>> OptStrings(const char* key) const;
  /// An array of objects at KEY, each read as its string fields FIELDS in order ("" when a field
  /// is absent); nullopt when KEY is absent or null.
  Result<std::optional<std::vector<std::vector<std::string>>>> OptRows(
      const char* key, std::initializer_list<const char*> fields) const;

 private:
  boost::json::object obj_;
};

/// In a route handler: VAR is the value of the Result EXPR, or the handler answers its error.
#define VIGIL_HTTP_TRY(var, expr)                            \
  auto var##_r = (expr);                                     \
  if (!var##_r.ok()) return ErrorResponse(var##_r.status()); \
  auto var = std::move(var##_r).value()

}  // namespace vigil
