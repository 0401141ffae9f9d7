// SqlStore's write queue: writes wait in one queue, and the engine's writer thread takes them
// in groups of up to 256 (group commit: concurrent writers share a transaction and its sync).
#include "store/sql_store.h"

namespace vigil {

thread_local int SqlStore::ReadLease::leases_held_ = 0;

bool IsRunLockName(std::string_view name) {
  if (name.empty() || name.size() > 128 || name.front() == '.') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

void SqlStore::PendingWrite::Finish(Result<WriteResult> r) {
  if (then) {
    then(std::move(r));
  } else {
    done.set_value(std::move(r));
  }
}

Result<WriteResult> SqlStore::Write(WriteBatch batch) { return WriteAsync(std::move(batch)).get(); }

std::future<Result<WriteResult>> SqlStore::WriteAsync(WriteBatch batch) {
  auto pending = std::make_unique<PendingWrite>(PendingWrite{std::move(batch), {}, {}, {}});
  std::future<Result<WriteResult>> done = pending->done.get_future();
  Enqueue(std::move(pending));
  return done;
}

void SqlStore::WriteThen(WriteBatch batch, WriteCallback done) {
  Enqueue(std::make_unique<PendingWrite>(PendingWrite{std::move(batch), {}, std::move(done), {}}));
}

void SqlStore::Enqueue(std::unique_ptr<PendingWrite> pending) {
  // Owned by the queue, then by the writer thread until it has answered.
  if (std::optional<Status> refused = WritesRefused()) return pending->Finish(*refused);
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (!stopping_) {
      // Only a push to an empty queue can find the writer waiting: it looks at the queue again
      // before it waits.
      wake = queue_.empty();
      queue_.push_back(std::move(pending));
    }
  }
  if (pending) return pending->Finish(Status::Unavailable("storage is shutting down"));
  if (wake) queue_cv_.notify_one();
}

void SqlStore::StartWriter() {
  writer_thread_ = std::thread([this] { WriterLoop(); });
}

void SqlStore::StopWriter() {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_thread_.joinable()) writer_thread_.join();
}

void SqlStore::WriterLoop() {
  constexpr size_t kMaxGroup = 256;
  Group group;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      if (queue_.empty() && !stopping_) {
        lock.unlock();
        if (IdleWork()) continue;
        lock.lock();
      }
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      while (!queue_.empty() && group.size() < kMaxGroup) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    CommitGroup(group);
    group.clear();
  }
}

}  // namespace vigil
