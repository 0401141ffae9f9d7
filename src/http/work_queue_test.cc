// WorkQueue: bounded, one job per key, every queued job answered; no sleeps (jobs wait on
// promises the test keeps).
#include "http/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

namespace vigil {
namespace {

void WaitForDepth(const WorkQueue& q, size_t depth) {
  while (q.Depth() != depth) std::this_thread::yield();
}

TEST(WorkQueueTest, BoundedOneJobPerKeyAndEveryQueuedJobRuns) {
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  std::atomic<int> ran{0};
  {
    WorkQueue q(/*threads=*/1, /*capacity=*/3);
    EXPECT_EQ(q.Post("SEC-1",
                     [open, &ran] {
                       open.wait();
                       ++ran;
                     }),
              WorkQueue::Posted::kQueued);
    // The same key while its job is queued or running: refused, not kept.
    EXPECT_EQ(q.Post("SEC-1", [&ran] { ran += 100; }), WorkQueue::Posted::kKeyBusy);
    EXPECT_EQ(q.Post("SEC-2", [&ran] { ++ran; }), WorkQueue::Posted::kQueued);
    EXPECT_EQ(q.Post("SEC-3", [&ran] { ++ran; }), WorkQueue::Posted::kQueued);
    EXPECT_EQ(q.Post("SEC-4", [&ran] { ++ran; }), WorkQueue::Posted::kFull);
    EXPECT_EQ(q.Depth(), 3u);
    gate.set_value();
    WaitForDepth(q, 0);
    EXPECT_EQ(ran, 3);
    // The key is free again once its job ran.
    EXPECT_EQ(q.Post("SEC-1", [&ran] { ++ran; }), WorkQueue::Posted::kQueued);
  }  // the destructor runs what is still queued
  EXPECT_EQ(ran, 4);
}

TEST(WorkQueueTest, TheDestructorAnswersEveryQueuedJob) {
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  std::atomic<int> ran{0};
  auto q = std::make_unique<WorkQueue>(1, 10);
  q->Post("first", [open, &ran] {
    open.wait();
    ++ran;
  });
  for (int i = 0; i < 5; ++i) q->Post("k" + std::to_string(i), [&ran] { ++ran; });
  std::thread closer([&] { q.reset(); });
  gate.set_value();
  closer.join();
  EXPECT_EQ(ran, 6);
}

}  // namespace
}  // namespace vigil
