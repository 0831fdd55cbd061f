#include "ring_core.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>

#include "process_identity.h"
#include "ring_error.h"

namespace framering {

namespace {

constexpr int kLivenessCheckMs = 250;  // readers notice a dead writer within a second
constexpr uint64_t kReclaimEveryUs = 500000;

void FutexWait(uint32_t* word, uint32_t expected, int timeout_ms) {
  timespec ts{timeout_ms / 1000, static_cast<long>(timeout_ms % 1000) * 1000000L};
  // Shared (not FUTEX_PRIVATE): waiters and wakers live in different processes.
  syscall(SYS_futex, word, FUTEX_WAIT, expected, &ts, nullptr, 0);
}

void FutexWakeAll(uint32_t* word) { syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0); }

uint64_t MonotonicUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000ull + static_cast<uint64_t>(ts.tv_nsec) / 1000ull;
}

uint32_t Load(const uint32_t* w) { return __atomic_load_n(w, __ATOMIC_SEQ_CST); }

void Bump(uint32_t* futex_word, uint32_t* waiters) {
  // Sequentially consistent: the waker's (word, waiters) and the waiter's (waiters, word) form a store-buffering
  // pair, which only SEQ_CST orders on every architecture.
  __atomic_add_fetch(futex_word, 1, __ATOMIC_SEQ_CST);
  if (__atomic_load_n(waiters, __ATOMIC_SEQ_CST) > 0) FutexWakeAll(futex_word);
}

}  // namespace

void RingCore::Lock() {
  int rc = pthread_mutex_lock(&header_->lock);
  // The previous holder died inside the lock. Every critical section leaves the state consistent at each store that
  // matters (a slot is Free, Writing or Ready), so the state is usable as it is.
  if (rc == EOWNERDEAD) pthread_mutex_consistent(&header_->lock);
}

bool RingCore::SlotNeededByEveryReader(const SlotMeta& s) const {
  if (!(header_->flags & kFlagBlocking) || s.state != static_cast<uint32_t>(SlotState::Ready)) return false;
  for (uint32_t r = 0; r < kMaxReaders; r++) {
    const ReaderEntry& e = header_->readers[r];
    if (e.in_use && e.policy == static_cast<uint32_t>(ReadPolicy::Every) && e.cursor <= s.seq) return true;
  }
  return false;
}

int32_t RingCore::PickFreeSlot() {
  SlotMeta* slots = SlotsOf(header_);
  int32_t best = -1;
  uint64_t best_seq = UINT64_MAX;
  for (uint32_t i = 0; i < slot_count_; i++) {
    const SlotMeta& s = slots[i];
    if (s.state == static_cast<uint32_t>(SlotState::Writing) || s.hold_mask != 0) continue;
    if (SlotNeededByEveryReader(s)) continue;
    uint64_t seq = s.state == static_cast<uint32_t>(SlotState::Free) ? 0 : s.seq;  // oldest first, Free before all
    if (seq < best_seq) {
      best_seq = seq;
      best = static_cast<int32_t>(i);
    }
  }
  if (best >= 0) {
    SlotMeta& s = slots[best];
    s.state = static_cast<uint32_t>(SlotState::Writing);
    s.seq = 0;
  }
  return best;
}

int32_t RingCore::Lend(int timeout_ms, bool count_drop) {
  bool blocking = header_->flags & kFlagBlocking;
  uint64_t deadline = MonotonicUs() + static_cast<uint64_t>(timeout_ms > 0 ? timeout_ms : 0) * 1000ull;
  for (;;) {
    uint32_t release_seen = Load(&header_->release_futex);
    ReclaimDeadReaders();
    Lock();
    int32_t index = PickFreeSlot();
    if (index < 0 && !blocking && count_drop) header_->writer_drops++;
    Unlock();
    if (index >= 0 || !blocking) return index;
    uint64_t now = MonotonicUs();
    if (now >= deadline) {
      if (count_drop) {
        Lock();
        header_->writer_drops++;
        Unlock();
      }
      return -1;
    }
    int wait_ms = static_cast<int>((deadline - now) / 1000) + 1;
    if (wait_ms > kLivenessCheckMs) wait_ms = kLivenessCheckMs;  // dead readers are reclaimed between waits
    __atomic_add_fetch(&header_->release_waiters, 1, __ATOMIC_SEQ_CST);
    FutexWait(&header_->release_futex, release_seen, wait_ms);
    __atomic_sub_fetch(&header_->release_waiters, 1, __ATOMIC_ACQ_REL);
  }
}

uint64_t RingCore::Commit(int32_t index, const CommitMeta& meta) {
  Lock();
  SlotMeta& s = SlotsOf(header_)[index];
  uint64_t seq = ++header_->write_seq;
  s.bytes = meta.bytes;
  s.timestamp_us = meta.timestamp_us ? meta.timestamp_us : NowRealtimeUs();
  s.frame_number = meta.frame_number >= 0 ? static_cast<uint64_t>(meta.frame_number) : header_->written;
  s.width = meta.width;
  s.height = meta.height;
  s.slot_id = meta.slot_id;
  s.seq = seq;
  s.state = static_cast<uint32_t>(SlotState::Ready);
  header_->written++;
  Unlock();
  Bump(&header_->publish_futex, &header_->publish_waiters);
  return seq;
}

void RingCore::Abandon(int32_t index) {
  Lock();
  SlotMeta& s = SlotsOf(header_)[index];
  s.state = static_cast<uint32_t>(SlotState::Free);
  s.seq = 0;
  Unlock();
}

void RingCore::MarkClosed() {
  __atomic_store_n(&header_->closed, 1u, __ATOMIC_RELEASE);
  Bump(&header_->publish_futex, &header_->publish_waiters);
}

void RingCore::ReclaimReader(uint32_t r) {
  uint64_t bit = 1ull << r;
  SlotMeta* slots = SlotsOf(header_);
  for (uint32_t i = 0; i < slot_count_; i++) slots[i].hold_mask &= ~bit;
  memset(&header_->readers[r], 0, sizeof(ReaderEntry));
}

void RingCore::ReclaimDeadReaders() {
  uint64_t now = MonotonicUs();
  if (now - last_reclaim_us_ < kReclaimEveryUs) return;
  last_reclaim_us_ = now;
  // Liveness is read outside the lock (it touches /proc); the entry is re-checked inside before it is freed.
  for (uint32_t r = 0; r < kMaxReaders; r++) {
    ReaderEntry& e = header_->readers[r];
    if (!e.in_use) continue;
    pid_t pid = e.pid;
    uint64_t start = e.start_time;
    if (ProcessAlive(pid, start)) continue;
    Lock();
    if (e.in_use && e.pid == pid && e.start_time == start) ReclaimReader(r);
    Unlock();
    Bump(&header_->release_futex, &header_->release_waiters);
  }
}

int32_t RingCore::RegisterReader(ReadPolicy policy) {
  pid_t self = getpid();
  uint64_t start = SelfStartTime();
  // Entries of dead readers are reusable even when their writer has not reclaimed them yet. Liveness is read outside
  // the lock (it touches /proc); an entry is taken over only if it still belongs to the process found dead.
  struct Owner {
    int32_t pid;
    uint64_t start_time;
    bool dead;
  } owners[kMaxReaders];
  for (uint32_t r = 0; r < kMaxReaders; r++) {
    const ReaderEntry& e = header_->readers[r];
    owners[r] = {e.pid, e.start_time, e.in_use && !ProcessAlive(e.pid, e.start_time)};
  }
  Lock();
  int32_t chosen = -1;
  for (uint32_t r = 0; r < kMaxReaders && chosen < 0; r++)
    if (!header_->readers[r].in_use) chosen = static_cast<int32_t>(r);
  for (uint32_t r = 0; r < kMaxReaders && chosen < 0; r++) {
    const ReaderEntry& e = header_->readers[r];
    if (owners[r].dead && e.pid == owners[r].pid && e.start_time == owners[r].start_time) {
      ReclaimReader(r);
      chosen = static_cast<int32_t>(r);
    }
  }
  if (chosen >= 0) {
    ReaderEntry& e = header_->readers[chosen];
    memset(&e, 0, sizeof e);
    e.in_use = 1;
    e.policy = static_cast<uint32_t>(policy);
    e.pid = self;
    e.start_time = start;
    // New readers start with the frames published after they attach.
    e.cursor = policy == ReadPolicy::Every ? header_->write_seq + 1 : header_->write_seq;
  }
  Unlock();
  if (chosen < 0)
    throw RingError("TOO_MANY_READERS", "ring already has " + std::to_string(kMaxReaders) +
                                            " readers attached; close some readers first");
  owner_pid_ = self;
  owner_start_ = start;
  return chosen;
}

void RingCore::UnregisterReader(int32_t reader) {
  Lock();
  const ReaderEntry& e = header_->readers[reader];
  if (e.in_use && e.pid == owner_pid_ && e.start_time == owner_start_) ReclaimReader(static_cast<uint32_t>(reader));
  Unlock();
  Bump(&header_->release_futex, &header_->release_waiters);
}

bool RingCore::TryAcquire(int32_t reader, AcquiredSlot* out) {
  ReaderEntry& e = header_->readers[reader];
  SlotMeta* slots = SlotsOf(header_);
  Lock();
  if (!e.in_use || e.pid != owner_pid_ || e.start_time != owner_start_) {
    // Our entry was reclaimed (we were judged dead) and may be someone else's now: never read through it.
    evicted_ = true;
    Unlock();
    return false;
  }
  int32_t pick = -1;
  uint64_t pick_seq = 0;
  bool every = e.policy == static_cast<uint32_t>(ReadPolicy::Every);
  for (uint32_t i = 0; i < slot_count_; i++) {
    const SlotMeta& s = slots[i];
    if (s.state != static_cast<uint32_t>(SlotState::Ready)) continue;
    if (every) {
      // The oldest frame not yet read: in order, skipping only what was overwritten.
      if (s.seq >= e.cursor && (pick < 0 || s.seq < pick_seq)) pick = static_cast<int32_t>(i), pick_seq = s.seq;
    } else {
      if (s.seq > e.cursor && s.seq > pick_seq) pick = static_cast<int32_t>(i), pick_seq = s.seq;
    }
  }
  if (pick >= 0) {
    SlotMeta& s = slots[pick];
    s.hold_mask |= 1ull << reader;
    uint64_t missed = every ? pick_seq - e.cursor : pick_seq - e.cursor - 1;
    e.dropped += missed;
    e.cursor = every ? pick_seq + 1 : pick_seq;
    e.delivered++;
    e.held++;
    out->index = pick;
    out->meta = s;
    out->dropped_before = missed;
  }
  Unlock();
  return pick >= 0;
}

void RingCore::Release(int32_t reader, int32_t index) {
  Lock();
  SlotMeta& s = SlotsOf(header_)[index];
  uint64_t bit = 1ull << reader;
  const ReaderEntry& e = header_->readers[reader];
  if ((s.hold_mask & bit) && e.pid == owner_pid_ && e.start_time == owner_start_) {
    s.hold_mask &= ~bit;
    header_->readers[reader].held--;
  }
  Unlock();
  Bump(&header_->release_futex, &header_->release_waiters);
}

bool RingCore::WriterGone(std::string* why) {
  if (evicted_) {
    if (why) *why = "this reader was dropped from the ring's reader table (judged dead); open the ring again";
    return true;
  }
  if (__atomic_load_n(&header_->closed, __ATOMIC_ACQUIRE)) {
    if (why) *why = "the ring's writer closed it";
    return true;
  }
  if (!ProcessAlive(header_->writer_pid, header_->writer_start_time)) {
    if (why) *why = "the ring's writer (pid " + std::to_string(header_->writer_pid) + ") died";
    return true;
  }
  return false;
}

WaitResult RingCore::WaitAcquire(int32_t reader, int timeout_ms, const std::atomic<bool>* stop, AcquiredSlot* out) {
  uint64_t start = MonotonicUs();
  for (;;) {
    uint32_t seen = Load(&header_->publish_futex);
    if (stop && stop->load()) return WaitResult::Stopped;
    if (TryAcquire(reader, out)) return WaitResult::Ready;
    if (evicted_ || __atomic_load_n(&header_->closed, __ATOMIC_ACQUIRE)) return WaitResult::WriterGone;
    uint64_t now = MonotonicUs();
    if (now - last_liveness_us_ >= kLivenessCheckMs * 1000ull) {
      last_liveness_us_ = now;
      if (WriterGone(nullptr)) return WaitResult::WriterGone;
    }
    int wait_ms = kLivenessCheckMs;
    if (timeout_ms >= 0) {
      uint64_t elapsed_ms = (now - start) / 1000;
      if (elapsed_ms >= static_cast<uint64_t>(timeout_ms)) return WaitResult::Timeout;
      uint64_t left = static_cast<uint64_t>(timeout_ms) - elapsed_ms;
      if (left < static_cast<uint64_t>(wait_ms)) wait_ms = static_cast<int>(left) + 1;
    }
    __atomic_add_fetch(&header_->publish_waiters, 1, __ATOMIC_SEQ_CST);
    FutexWait(&header_->publish_futex, seen, wait_ms);
    __atomic_sub_fetch(&header_->publish_waiters, 1, __ATOMIC_ACQ_REL);
  }
}

void RingCore::WakeAll() {
  // Change the word too: a waiter between its stop check and its futex wait then returns at once.
  __atomic_add_fetch(&header_->publish_futex, 1, __ATOMIC_SEQ_CST);
  FutexWakeAll(&header_->publish_futex);
}

}  // namespace framering
