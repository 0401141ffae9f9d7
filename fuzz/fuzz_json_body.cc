// JSON request bodies (http/json_body): any bytes as the body of an API request, read with every
// typed accessor the API handlers use.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/json_body.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vigil::HttpRequest req;
  req.method = "POST";
  req.target = "/api/v1/reports";
  req.content_type = "application/json";
  req.body.assign(reinterpret_cast<const char*>(data), size);
  auto body = vigil::JsonBody::Parse(req, {"a", "n", "flag", "list", "rows"});
  if (!body.ok()) return 0;
  (void)body->String("a", true);
  (void)body->String("a", false);
  (void)body->OptString("a");
  (void)body->Int("n", true);
  (void)body->OptInt("n");
  (void)body->Bool("flag");
  (void)body->OptStrings("list");
  (void)body->OptRows("rows", {"a", "n"});
  return 0;
}
