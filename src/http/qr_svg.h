// QR codes as inline SVG (libqrencode computes the modules; the SVG is drawn here).
#pragma once

#include <string>
#include <string_view>

namespace vigil {

/// An SVG image (markup, safe to inline) of TEXT as a QR code with error correction level M,
/// with a 4-module quiet zone, labelled LABEL for screen readers. Empty if TEXT is too long.
std::string QrSvg(std::string_view text, std::string_view label);

}  // namespace vigil
