#include "http/qr_svg.h"

#include <qrencode.h>

#include <string>

namespace vigil {
namespace {

std::string EscapeXml(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

std::string QrSvg(std::string_view text, std::string_view label) {
  const std::string input(text);
  QRcode* qr = QRcode_encodeString8bit(input.c_str(), 0, QR_ECLEVEL_M);
  if (qr == nullptr) return "";
  const int quiet = 4;
  const int size = qr->width + 2 * quiet;
  std::string svg =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qr\" role=\"img\" "
      "viewBox=\"0 0 " +
      std::to_string(size) + " " + std::to_string(size) +
      "\" shape-rendering=\"crispEdges\"><title>" + EscapeXml(label) +
      "</title><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path fill=\"#000\" d=\"";
  // One path of unit squares, row by row, merging horizontal runs.
  for (int y = 0; y < qr->width; ++y) {
    int x = 0;
    while (x < qr->width) {
      if (!(qr->data[y * qr->width + x] & 1)) {
        ++x;
        continue;
      }
      int run = 1;
      while (x + run < qr->width && (qr->data[y * qr->width + x + run] & 1)) ++run;
      svg += "M" + std::to_string(x + quiet) + " " + std::to_string(y + quiet) + "h" +
             std::to_string(run) + "v1h-" + std::to_string(run) + "z";
      x += run;
    }
  }
  svg += "\"/></svg>";
  QRcode_free(qr);
  return svg;
}

}  // namespace vigil
