#include "http/client_address.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

std::vector<IpNetwork> Proxies() {
  return {*IpNetwork::Parse("127.0.0.1"), *IpNetwork::Parse("10.0.0.0/8"),
          *IpNetwork::Parse("fd00::/8")};
}

TEST(ClientAddressTest, WithoutTrustedProxiesTheHeadersAreIgnored) {
  EXPECT_EQ(ClientAddress({}, "203.0.113.9", "for=198.51.100.1", "198.51.100.2"), "203.0.113.9");
}

TEST(ClientAddressTest, AClientThatIsNoProxyCannotNameAnotherAddress) {
  EXPECT_EQ(ClientAddress(Proxies(), "203.0.113.9", "for=198.51.100.1", "198.51.100.2"),
            "203.0.113.9");
}

TEST(ClientAddressTest, ATrustedProxyNamesTheClient) {
  EXPECT_EQ(ClientAddress(Proxies(), "127.0.0.1", "", "198.51.100.2"), "198.51.100.2");
  EXPECT_EQ(ClientAddress(Proxies(), "::ffff:127.0.0.1", "", " 198.51.100.2 "), "198.51.100.2");
  // No header: the proxy itself.
  EXPECT_EQ(ClientAddress(Proxies(), "127.0.0.1", "", ""), "127.0.0.1");
}

TEST(ClientAddressTest, WhatTheClientPrependedIsNotBelieved) {
  // The client sent "X-Forwarded-For: 1.1.1.1"; the proxy appended the address it saw.
  EXPECT_EQ(ClientAddress(Proxies(), "127.0.0.1", "", "1.1.1.1, 198.51.100.2"), "198.51.100.2");
  // Through two proxies of ours, the first non-proxy hop from the right.
  EXPECT_EQ(ClientAddress(Proxies(), "127.0.0.1", "", "1.1.1.1, 198.51.100.2, 10.1.2.3"),
            "198.51.100.2");
}

TEST(ClientAddressTest, AHopThatIsNotAnAddressStopsAtTheLastProxy) {
  EXPECT_EQ(ClientAddress(Proxies(), "127.0.0.1", "", "unknown"), "127.0.0.1");
  EXPECT_EQ(ClientAddress(Proxies(), "127.0.0.1", "", "198.51.100.2, garbage, 10.0.0.7"),
            "10.0.0.7");
  EXPECT_EQ(ClientAddress(Proxies(), "127.0.0.1", "", "198.51.100.2:443"), "127.0.0.1");
  EXPECT_EQ(ClientAddress(Proxies(), "127.0.0.1", "", ","), "127.0.0.1");
  // Every hop a proxy: the farthest.
  EXPECT_EQ(ClientAddress(Proxies(), "127.0.0.1", "", "10.0.0.1, 10.0.0.2"), "10.0.0.1");
}

TEST(ClientAddressTest, ForwardedWinsAndItsNodesAreUnwrapped) {
  EXPECT_EQ(ClientAddress(Proxies(), "127.0.0.1", "for=192.0.2.60;proto=https;by=10.0.0.1",
                          "198.51.100.2"),
            "192.0.2.60");
  EXPECT_EQ(ClientAddress(Proxies(), "127.0.0.1", R"(For="[2001:db8:cafe::17]:4711")", ""),
            "2001:db8:cafe::17");
  EXPECT_EQ(ClientAddress(Proxies(), "127.0.0.1", R"(for="192.0.2.60:8080")", ""), "192.0.2.60");
  EXPECT_EQ(
      ClientAddress(Proxies(), "127.0.0.1", "for=1.1.1.1, for=192.0.2.60, for=\"[fd00::5]\"", ""),
      "192.0.2.60");
  EXPECT_EQ(ClientAddress(Proxies(), "127.0.0.1", "for=_hidden", ""), "127.0.0.1");
  EXPECT_EQ(ClientAddress(Proxies(), "127.0.0.1", "proto=https", ""), "127.0.0.1");
}

}  // namespace
}  // namespace vigil
