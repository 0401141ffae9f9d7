// Markdown to HTML with cmark-gfm in safe mode: raw HTML and dangerous URLs (javascript:,
// vbscript:, file:, most data:) are dropped, so the output can be inserted into a page as is.
#pragma once

#include <string>
#include <string_view>

namespace vigil {

/// GitHub-flavoured Markdown (tables, autolinks, strikethrough) rendered safely.
std::string MarkdownToSafeHtml(std::string_view markdown);

}  // namespace vigil
