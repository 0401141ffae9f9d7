// WorkQueue: bounded, one job per key, every queued job answered; no sleeps (jobs wait on
// promises the test keeps).
#include "http/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

namespace vigil {
namespace {

WorkQueue::Job Count(std::atomic<int>& ran) {
  return [&ran]() -> std::function<void()> {
    ++ran;
    return {};
  };
}

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
                     [open, &ran]() -> std::function<void()> {
                       open.wait();
                       ++ran;
                       return {};
                     }),
              WorkQueue::Posted::kQueued);
    // The same key while its job is queued or running: refused, not kept.
    EXPECT_EQ(q.Post("SEC-1",
                     [&ran]() -> std::function<void()> {
                       ran += 100;
                       return {};
                     }),
              WorkQueue::Posted::kKeyBusy);
    EXPECT_EQ(q.Post("SEC-2", Count(ran)), WorkQueue::Posted::kQueued);
    EXPECT_EQ(q.Post("SEC-3", Count(ran)), WorkQueue::Posted::kQueued);
    EXPECT_EQ(q.Post("SEC-4", Count(ran)), WorkQueue::Posted::kFull);
    EXPECT_EQ(q.Depth(), 3u);
    gate.set_value();
    WaitForDepth(q, 0);
    EXPECT_EQ(ran, 3);
    // The key is free again once its job ran.
    EXPECT_EQ(q.Post("SEC-1", Count(ran)), WorkQueue::Posted::kQueued);
  }  // the destructor runs what is still queued
  EXPECT_EQ(ran, 4);
}

TEST(WorkQueueTest, TheDestructorAnswersEveryQueuedJob) {
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  std::atomic<int> ran{0};
  auto q = std::make_unique<WorkQueue>(1, 10);
  q->Post("first", [open, &ran]() -> std::function<void()> {
    open.wait();
    ++ran;
    return {};
  });
  for (int i = 0; i < 5; ++i) q->Post("k" + std::to_string(i), Count(ran));
  std::thread closer([&] { q.reset(); });
  gate.set_value();
  closer.join();
  EXPECT_EQ(ran, 6);
}

// What a job leaves for after it runs happens once its key is free: the key may be used again
// from there (an HTTP answer, whose receiver uploads again at once).
TEST(WorkQueueTest, AJobsContinuationRunsOnceItsKeyIsFree) {
  WorkQueue q(1, 4);
  std::promise<WorkQueue::Posted> again;
  ASSERT_EQ(
      q.Post("SEC-1",
             [&q, &again]() -> std::function<void()> {
               return [&q, &again] {
                 again.set_value(q.Post("SEC-1", []() -> std::function<void()> { return {}; }));
               };
             }),
      WorkQueue::Posted::kQueued);
  EXPECT_EQ(again.get_future().get(), WorkQueue::Posted::kQueued);
}

}  // namespace
}  // namespace vigil
