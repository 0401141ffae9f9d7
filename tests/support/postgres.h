// The PostgreSQL server a test runs against: started by scripts/with-postgres.sh, which wraps
// every PostgreSQL test program (never a system service). Test-only, header-only.
#pragma once

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "store/pg_connection.h"

namespace vigil::testing {

/// The server's login (VIGIL_TEST_PG_URL, password from VIGIL_TEST_PG_PASSWORD_FILE), or an
/// empty URL when the program was not started by scripts/with-postgres.sh.
inline PgTarget TestPgTarget() {
  PgTarget target;
  const char* url = std::getenv("VIGIL_TEST_PG_URL");
  const char* password_file = std::getenv("VIGIL_TEST_PG_PASSWORD_FILE");
  if (url == nullptr || password_file == nullptr) return target;
  std::ifstream in(password_file);
  std::stringstream password;
  password << in.rdbuf();
  target.url = url;
  target.password = password.str();
  return target;
}

/// TARGET with its database replaced by NAME.
inline PgTarget WithDatabase(PgTarget target, const std::string& name) {
  const size_t scheme = target.url.find("://");
  const size_t slash = target.url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  const size_t query = target.url.find('?', slash == std::string::npos ? 0 : slash);
  std::string rest = query == std::string::npos ? "" : target.url.substr(query);
  target.url = target.url.substr(0, slash) + "/" + name + rest;
  return target;
}

}  // namespace vigil::testing
