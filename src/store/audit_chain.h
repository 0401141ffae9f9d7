// The tamper-evident event chain: how an event is hashed and how a chain is verified.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace vigil {

/// 64 zeros: the previous hash of the first event of a chain.
extern const char kGenesisHash[];

/// The canonical bytes of an event: every field as a length-prefixed string in a fixed order
/// ("vigil-event-v1", chain, seq, time, actor, kind, payload, prev_hash), so that no two
/// different events share an encoding. An event with row digests is "vigil-event-v2" with
/// `rows` after prev_hash (events without keep their v1 bytes and hashes).
std::string CanonicalEvent(const StoredEvent& e);

/// Hex SHA-256 of CanonicalEvent(E) (E.hash is ignored).
std::string EventHash(const StoredEvent& e);

/// Hex SHA-256 of arbitrary bytes.
std::string Sha256Hex(std::string_view bytes);

/// Checks one chain given in stored order (by seq). Returns "" when intact, else the first
/// broken event: "<chain> event <seq>: <what is wrong>".
std::string VerifyChain(const std::vector<StoredEvent>& events);

}  // namespace vigil
