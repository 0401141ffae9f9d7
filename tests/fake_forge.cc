#include "fake_forge.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <stdexcept>

namespace vigil::testing {
namespace {

namespace json = boost::json;

std::string Decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

std::string QueryParam(const std::string& path, const std::string& key) {
  const size_t q = path.find('?');
  if (q == std::string::npos) return "";
  std::string query = path.substr(q + 1);
  size_t start = 0;
  while (start <= query.size()) {
    const size_t amp = std::min(query.find('&', start), query.size());
    const std::string kv = query.substr(start, amp - start);
    if (kv.starts_with(key + "=")) return Decode(kv.substr(key.size() + 1));
    start = amp + 1;
  }
  return "";
}

std::string Response(int status, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\n" +
         "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

}  // namespace

FakeForge::FakeForge(std::string repository, std::string token)
    : repo_(std::move(repository)), token_(std::move(token)) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 16) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
      pipe(stop_pipe_) != 0) {
    throw std::runtime_error("fake forge: cannot listen");
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

FakeForge::~FakeForge() {
  if (write(stop_pipe_[1], "x", 1) != 1) {
  }
  thread_.join();
  StallAnswersTo("");
  close(listen_fd_);
  close(stop_pipe_[0]);
  close(stop_pipe_[1]);
}

std::vector<FakeForge::Request> FakeForge::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

std::vector<FakeForge::Item> FakeForge::items() const {
  std::lock_guard<std::mutex> lock(mu_);
  return items_;
}

void FakeForge::StallAnswersTo(const std::string& method) {
  std::lock_guard<std::mutex> lock(mu_);
  stall_method_ = method;
  if (method.empty()) {
    for (int fd : stalled_fds_) close(fd);
    stalled_fds_.clear();
  }
}

int FakeForge::Count(const std::string& method, const std::string& prefix) const {
  std::lock_guard<std::mutex> lock(mu_);
  int n = 0;
  for (const Request& r : requests_) n += r.method == method && r.path.starts_with(prefix);
  return n;
}

void FakeForge::Serve() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents) return;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string in;
    char buf[65536];
    size_t head_end = std::string::npos, need = 0;
    while (true) {
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
      if (head_end == std::string::npos && (head_end = in.find("\r\n\r\n")) != std::string::npos) {
        const std::string head = in.substr(0, head_end);
        size_t cl = head.find("Content-Length: ");
        if (cl == std::string::npos) cl = head.find("content-length: ");
        need = head_end + 4 + (cl == std::string::npos ? 0 : std::stoul(head.substr(cl + 16)));
      }
      if (head_end != std::string::npos && in.size() >= need) break;
    }
    Request req;
    const size_t sp1 = in.find(' '), sp2 = in.find(' ', sp1 + 1);
    if (head_end != std::string::npos && sp1 != std::string::npos && sp2 != std::string::npos) {
      req.method = in.substr(0, sp1);
      req.path = in.substr(sp1 + 1, sp2 - sp1 - 1);
      const std::string head = in.substr(0, head_end);
      const size_t auth = head.find("Authorization: ");
      if (auth != std::string::npos) {
        req.authorization = head.substr(auth + 15, head.find("\r\n", auth) - auth - 15);
      }
      req.body = in.substr(head_end + 4);
    }
    const std::string out = Handle(req);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!stall_method_.empty() && req.method == stall_method_) {
        stalled_fds_.push_back(fd);
        continue;
      }
    }
    size_t sent = 0;
    while (sent < out.size()) {
      const ssize_t n = send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    close(fd);
  }
}

std::string FakeForge::Handle(const Request& req) {
  std::lock_guard<std::mutex> lock(mu_);
  requests_.push_back(req);
  if (req.authorization != "Bearer " + token_) {
    return Response(401, R"({"message":"Bad credentials"})");
  }
  const std::string base = "/repos/" + repo_;
  const std::string path = req.path.substr(0, req.path.find('?'));
  auto url_of = [&](const Item& i) {
    return "https://forge.example/" + repo_ + (i.pull ? "/pull/" : "/issues/") +
           std::to_string(i.number);
  };
  auto json_of = [&](const Item& i) {
    json::object o{
        {"number", i.number}, {"html_url", url_of(i)}, {"title", i.title}, {"body", i.body}};
    if (i.pull) {
      o["pull_request"] = json::object{{"url", url_of(i)}};
      o["head"] = json::object{{"ref", i.head}};
      o["base"] = json::object{{"ref", i.base}};
    }
    return o;
  };
  if (path == base + "/issues" || path == base + "/pulls") {
    const bool pulls = path.ends_with("/pulls");
    if (req.method == "GET") {
      json::array out;
      const std::string head = QueryParam(req.path, "head");
      for (const Item& i : items_) {
        // GitHub lists pull requests among issues too; the pulls list only pull requests.
        if (pulls && (!i.pull ||
                      (!head.empty() && head != repo_.substr(0, repo_.find('/')) + ":" + i.head))) {
          continue;
        }
        out.push_back(json_of(i));
      }
      return Response(200, json::serialize(out));
    }
    if (req.method == "POST") {
      std::error_code ec;
      json::value v = json::parse(req.body, ec);
      if (ec || !v.is_object()) return Response(400, R"({"message":"Problems parsing JSON"})");
      Item item;
      item.number = static_cast<int>(items_.size()) + 1;
      item.pull = pulls;
      auto str = [&](const char* key) {
        const json::value* x = v.as_object().if_contains(key);
        return x && x->is_string() ? std::string(x->as_string()) : std::string();
      };
      item.title = str("title");
      item.body = str("body");
      item.head = str("head");
      item.base = str("base");
      if (item.title.empty()) return Response(422, R"({"message":"Validation Failed"})");
      items_.push_back(item);
      return Response(201, json::serialize(json_of(item)));
    }
  }
  return Response(404, R"({"message":"Not Found"})");
}

}  // namespace vigil::testing
