#include "store/audit_chain.h"

#include <openssl/evp.h>

namespace vigil {

const char kGenesisHash[] = "0000000000000000000000000000000000000000000000000000000000000000";

namespace {

void Put(std::string* out, std::string_view field) {
  *out += std::to_string(field.size());
  *out += ':';
  out->append(field.data(), field.size());
  *out += ',';
}

}  // namespace

std::string CanonicalEvent(const StoredEvent& e) {
  std::string out;
  out.reserve(128 + e.payload.size());
  Put(&out, e.rows.empty() ? "vigil-event-v1" : "vigil-event-v2");
  Put(&out, e.chain);
  Put(&out, std::to_string(e.seq));
  Put(&out, std::to_string(e.time));
  Put(&out, e.actor);
  Put(&out, e.kind);
  Put(&out, e.payload);
  Put(&out, e.prev_hash);
  if (!e.rows.empty()) Put(&out, e.rows);
  return out;
}

std::string Sha256Hex(std::string_view bytes) {
  // Fetching the algorithm costs more than hashing a small event: fetch it once, and keep one
  // digest context per thread.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct Ctx {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Ctx() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Ctx local;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestInit_ex2(local.ctx, sha256, nullptr);
  EVP_DigestUpdate(local.ctx, bytes.data(), bytes.size());
  EVP_DigestFinal_ex(local.ctx, digest, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(len * 2, '0');
  for (unsigned i = 0; i < len; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 15];
  }
  return out;
}

std::string EventHash(const StoredEvent& e) { return Sha256Hex(CanonicalEvent(e)); }

std::string VerifyChain(const std::vector<StoredEvent>& events) {
  std::string prev = kGenesisHash;
  int64_t expected_seq = 1;
  for (const StoredEvent& e : events) {
    const std::string where = e.chain + " event " + std::to_string(e.seq) + ": ";
    if (e.seq != expected_seq) {
      return e.chain + " event " + std::to_string(expected_seq) + ": missing (found event " +
             std::to_string(e.seq) + " in its place)";
    }
    if (e.prev_hash != prev) return where + "does not link to the event before it";
    if (EventHash(e) != e.hash) return where + "hash does not match its content";
    prev = e.hash;
    ++expected_seq;
  }
  return "";
}

}  // namespace vigil
