// The templates and static files of web/, embedded into the binary at build time
// (web/embed.cmake), so the server needs no file paths.
#pragma once

#include <span>
#include <string_view>

namespace vigil {

struct WebAsset {
  std::string_view name;  // "templates/report.mustache", "static/vigil.css"
  std::string_view data;
};

/// Every embedded file, sorted by name.
std::span<const WebAsset> WebAssets();

}  // namespace vigil
