// HTML form bodies: application/x-www-form-urlencoded and multipart/form-data (with files).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "http/http_types.h"

namespace vigil {

struct FormFile {
  std::string field;
  std::string filename;
  std::string content_type;
  std::string data;
};

struct Form {
  std::vector<std::pair<std::string, std::string>> fields;
  std::vector<FormFile> files;  // parts with a filename (an empty file input sends one too)

  /// The last value of NAME, or "".
  std::string Get(std::string_view name) const;
  bool Has(std::string_view name) const;
};

/// Limits on what a form may hold.
inline constexpr size_t kMaxFormFields = 200;
inline constexpr size_t kMaxFormNameBytes = 64;

/// Parses REQ's body by its Content-Type. Errors (kInvalidArgument): "the form is not
/// url-encoded or multipart", "the form is malformed", "the form has too many fields".
Result<Form> ParseForm(const HttpRequest& req);

/// Decodes application/x-www-form-urlencoded TEXT ('+' is a space).
Result<std::vector<std::pair<std::string, std::string>>> ParseUrlEncoded(std::string_view text);

}  // namespace vigil
