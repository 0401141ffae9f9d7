#include "patch/sha1.h"

// See the header for why the deprecated SHA1_* functions rather than EVP.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

namespace vigil::patch {

struct Sha1::State {
  SHA_CTX ctx;
};

Sha1::Sha1() : state_(std::make_unique<State>()) { SHA1_Init(&state_->ctx); }
Sha1::~Sha1() = default;
Sha1::Sha1(Sha1&&) noexcept = default;
Sha1& Sha1::operator=(Sha1&&) noexcept = default;

void Sha1::Update(std::string_view bytes) { SHA1_Update(&state_->ctx, bytes.data(), bytes.size()); }

Sha1::Digest Sha1::Finish() {
  Digest d;
  SHA1_Final(d.data(), &state_->ctx);
  SHA1_Init(&state_->ctx);
  return d;
}

std::string Sha1::Hex(const Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(40, '0');
  for (size_t i = 0; i < digest.size(); ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 15];
  }
  return out;
}

}  // namespace vigil::patch
