#include "service/disclosure_scheduler.h"

#include <spdlog/spdlog.h>

#include "core/log_line.h"

namespace vigil {

DisclosureScheduler::DisclosureScheduler(DisclosureService& disclosure, std::chrono::seconds period)
    : disclosure_(disclosure), period_(period) {}

DisclosureScheduler::~DisclosureScheduler() { Stop(); }

void DisclosureScheduler::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Loop(); });
}

void DisclosureScheduler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DisclosureScheduler::Loop() {
  Principal scheduler;
  scheduler.kind = Principal::Kind::kLocal;
  scheduler.email = "scheduler";
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    // Report ids and step descriptions only: no report content reaches the log.
    Result<std::vector<std::string>> done =
        disclosure_.DiscloseDue(scheduler, [](const std::string& line) {
          spdlog::info("{}", LogLine("auto-disclose", {{"detail", line}}));
        });
    if (!done.ok()) {
      spdlog::warn("{}", LogLine("auto-disclose failed", {{"error", done.status().message()}}));
    }
    lock.lock();
    wake_.wait_for(lock, period_, [this] { return stopping_; });
  }
}

}  // namespace vigil
