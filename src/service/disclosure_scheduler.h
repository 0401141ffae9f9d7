// DisclosureScheduler: with [disclosure] auto_disclose, `vigil serve` runs
// DisclosureService::DiscloseDue once a minute on a thread of its own, so a scheduled report is
// disclosed at its slot without anyone running `vigil disclose`.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "service/disclosure_service.h"

namespace vigil {

class DisclosureScheduler {
 public:
  /// DISCLOSURE must outlive the scheduler. Nothing runs until Start().
  DisclosureScheduler(DisclosureService& disclosure, std::chrono::seconds period);
  ~DisclosureScheduler();  // Stop()
  DisclosureScheduler(const DisclosureScheduler&) = delete;
  DisclosureScheduler& operator=(const DisclosureScheduler&) = delete;

  /// Runs a first round now, then one every period, until Stop().
  void Start();
  /// Waits for a round in progress to end (a disclosure step is never cut short: an interrupted
  /// one would resume from its execution log anyway).
  void Stop();

 private:
  void Loop();

  DisclosureService& disclosure_;
  const std::chrono::seconds period_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace vigil
