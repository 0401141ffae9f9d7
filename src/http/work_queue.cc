#include "http/work_queue.h"

#include <algorithm>

namespace vigil {

WorkQueue::WorkQueue(int threads, int capacity) : capacity_(std::max(1, capacity)) {
  for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { Run(); });
}

WorkQueue::~WorkQueue() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) t.join();
}

WorkQueue::Posted WorkQueue::Post(const std::string& key, Job job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (keys_.count(key)) return Posted::kKeyBusy;
    if (keys_.size() >= static_cast<size_t>(capacity_)) return Posted::kFull;
    keys_.insert(key);
    queue_.emplace_back(key, std::move(job));
  }
  wake_.notify_one();
  return Posted::kQueued;
}

size_t WorkQueue::Depth() const {
  std::lock_guard<std::mutex> lock(mu_);
  return keys_.size();
}

void WorkQueue::Run() {
  for (;;) {
    std::pair<std::string, Job> next;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to answer
      next = std::move(queue_.front());
      queue_.pop_front();
    }
    std::function<void()> then = next.second();
    {
      std::lock_guard<std::mutex> lock(mu_);
      keys_.erase(next.first);
    }
    if (then) then();
  }
}

}  // namespace vigil
