// Slow work off the HTTP threads: patch uploads and rechecks run git for every branch, for
// seconds, so their routes hand the work to a WorkQueue and answer when it is done, while the
// HTTP workers go on serving everyone else (/healthz, pages, the API). The queue is bounded (at
// most CAPACITY jobs queued or running; more is refused at once, never buffered) and takes at
// most one job per key (a report) at a time.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace vigil {

class WorkQueue {
 public:
  enum class Posted { kQueued, kFull, kKeyBusy };
  /// A job runs, then returns what to do once its key is free again (e.g. send the answer, so
  /// that whoever receives it may post under the same key at once); empty: nothing.
  using Job = std::function<std::function<void()>()>;

  /// THREADS (>= 1) run the jobs; CAPACITY (>= 1) bounds the jobs queued or running.
  WorkQueue(int threads, int capacity);
  /// Runs every job still queued, then joins the threads: a job's caller is always answered.
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  /// Queues JOB under KEY. kFull: CAPACITY jobs are queued or running; kKeyBusy: a job under
  /// KEY is (JOB is then not kept). Thread-safe; never blocks on a job.
  Posted Post(const std::string& key, Job job);
  /// Jobs queued or running now.
  size_t Depth() const;
  int capacity() const { return capacity_; }

 private:
  void Run();

  const int capacity_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::pair<std::string, Job>> queue_;  // guarded by mu_
  std::set<std::string> keys_;                     // keys queued or running; guarded by mu_
  bool stopping_ = false;                          // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace vigil
