#include "core/ip_network.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

IpNetwork Net(std::string_view text) {
  Result<IpNetwork> n = IpNetwork::Parse(text);
  EXPECT_TRUE(n.ok()) << text << ": " << n.status().message();
  return n.ok() ? *n : IpNetwork();
}

TEST(IpNetworkTest, Ipv4Networks) {
  const IpNetwork ten = Net("10.0.0.0/8");
  EXPECT_TRUE(ten.Contains("10.0.0.1"));
  EXPECT_TRUE(ten.Contains("10.255.255.255"));
  EXPECT_FALSE(ten.Contains("11.0.0.0"));
  EXPECT_FALSE(ten.Contains("9.255.255.255"));
  const IpNetwork odd = Net("192.168.0.0/23");
  EXPECT_TRUE(odd.Contains("192.168.1.200"));
  EXPECT_FALSE(odd.Contains("192.168.2.1"));
  EXPECT_TRUE(Net("0.0.0.0/0").Contains("203.0.113.9"));
  EXPECT_FALSE(Net("0.0.0.0/0").Contains("2001:db8::1"));  // IPv4 only
}

TEST(IpNetworkTest, ASingleAddressAndItsMappedForm) {
  const IpNetwork lo = Net("127.0.0.1");
  EXPECT_TRUE(lo.Contains("127.0.0.1"));
  EXPECT_TRUE(lo.Contains("::ffff:127.0.0.1"));  // a dual-stack socket's name for it
  EXPECT_FALSE(lo.Contains("127.0.0.2"));
  EXPECT_FALSE(lo.Contains("::1"));
  EXPECT_TRUE(Net("::1").Contains("::1"));
  EXPECT_TRUE(Net("::1/128").Contains("0:0:0:0:0:0:0:1"));
}

TEST(IpNetworkTest, Ipv6Networks) {
  const IpNetwork doc = Net("2001:db8::/32");
  EXPECT_TRUE(doc.Contains("2001:db8:cafe::17"));
  EXPECT_TRUE(doc.Contains("2001:DB8::1"));
  EXPECT_FALSE(doc.Contains("2001:db9::1"));
  const IpNetwork ula = Net("fc00::/7");
  EXPECT_TRUE(ula.Contains("fdff::1"));
  EXPECT_FALSE(ula.Contains("fe00::1"));
  EXPECT_FALSE(ula.Contains("fb00::1"));
}

TEST(IpNetworkTest, RefusesWhatIsNotANetwork) {
  for (const char* bad :
       {"", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8/8", "10.0.0.1/8", "fd00::/7",
        "10.0.0", "10.0.0.0.0", "localhost", "::1/129", "2001:db8::1/32", "[::1]", "10.0.0.0/ 8",
        "10.0.0.0/08a", "1.2.3.4:80", "fe80::1%eth0"}) {
    Result<IpNetwork> n = IpNetwork::Parse(bad);
    ASSERT_FALSE(n.ok()) << bad;
    EXPECT_EQ(n.status().message(), std::string("not an IP address or network: ") + bad);
  }
  EXPECT_FALSE(Net("10.0.0.0/8").Contains("unknown"));
  EXPECT_FALSE(Net("10.0.0.0/8").Contains("10.0.0.1:443"));
}

}  // namespace
}  // namespace vigil
