#include "ring_core.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>

#include "liveness_lock.h"
#include "process_identity.h"
#include "ring_error.h"

namespace framering {

namespace {

constexpr uint64_t kReclaimEveryUs = 500000;
constexpr int kClaimAttempts = 64;     // lock-free races lost in a row before a take gives up for now

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

template <typename T>
T Load(const T* w) {
  return __atomic_load_n(w, __ATOMIC_SEQ_CST);
}

void Bump(uint32_t* futex_word, uint32_t* waiters) {
  // Sequentially consistent: the waker's (word, waiters) and the waiter's (waiters, word) form a store-buffering
  // pair, which only SEQ_CST orders on every architecture.
  __atomic_add_fetch(futex_word, 1, __ATOMIC_SEQ_CST);
  if (__atomic_load_n(waiters, __ATOMIC_SEQ_CST) != 0) FutexWakeAll(futex_word);
}

void Wait(uint32_t* futex_word, uint32_t* waiters, uint32_t seen, int wait_ms) {
  __atomic_add_fetch(waiters, 1, __ATOMIC_SEQ_CST);
  FutexWait(futex_word, seen, wait_ms);
  __atomic_sub_fetch(waiters, 1, __ATOMIC_SEQ_CST);
}

}  // namespace

RingCore::RingCore(Mapping* mapping, int lock_fd)
    : mapping_(mapping), header_(static_cast<RingHeader*>(mapping->addr)), lock_fd_(lock_fd) {}

bool RingCore::SlotNeededByEveryReader(uint64_t seq) const {
  for (uint32_t r = 0; r < kMaxReaders; r++) {
    const ReaderEntry& e = header_->readers[r];
    if (Load(&e.in_use) && Load(&e.policy) == static_cast<uint32_t>(ReadPolicy::Every) && Load(&e.cursor) <= seq)
      return true;
  }
  return false;
}

// Claiming a slot against a reader taking it at the same moment is a Dekker pair: the writer swaps seq_state to
// Writing, then reads hold_mask; a reader sets its hold bit, then rereads seq_state. With sequentially consistent
// operations at least one of them sees the other, and backs off. So a held slot is never written (PROTOCOL.md SLOT-2;
// which slot is taken: EVICT-1..3).
int32_t RingCore::Lend(int timeout_ms, bool count_drop, const std::atomic<bool>* stop) {
  bool blocking_ring = blocking();
  uint64_t deadline = MonotonicUs() + static_cast<uint64_t>(timeout_ms > 0 ? timeout_ms : 0) * 1000ull;
  SlotMeta* slots = SlotsOf(header_);
  const uint32_t n = slot_count();
  for (;;) {
    uint32_t release_seen = Load(&header_->release_futex);
    ReclaimDeadReaders();
    for (int attempt = 0; attempt < kClaimAttempts; attempt++) {
      int32_t best = -1;
      uint64_t best_word = 0, best_seq = UINT64_MAX;
      for (uint32_t i = 0; i < n; i++) {
        uint64_t w = Load(&slots[i].seq_state);
        if (StateOf(w) == SlotState::Writing || Load(&slots[i].hold_mask) != 0) continue;
        uint64_t seq = StateOf(w) == SlotState::Free ? 0 : SeqOf(w);  // oldest first, Free before all
        if (seq > last_seq_.load(std::memory_order_relaxed)) seq = 0;  // a seq we never gave: junk, reuse it first
        if (blocking_ring && StateOf(w) == SlotState::Ready && SlotNeededByEveryReader(seq)) continue;
        if (seq < best_seq) best = static_cast<int32_t>(i), best_seq = seq, best_word = w;
      }
      if (best < 0) break;
      SlotMeta& s = slots[best];
      uint64_t expected = best_word;
      if (!__atomic_compare_exchange_n(&s.seq_state, &expected, PackSeqState(0, SlotState::Writing), false,
                                       __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        continue;  // another writer thread took it first
      if (Load(&s.hold_mask) == 0) return best;
      // A reader took it in the same instant: give it back untouched.
      __atomic_store_n(&s.seq_state, best_word, __ATOMIC_SEQ_CST);
    }
    if (!blocking_ring || (stop && stop->load())) break;
    uint64_t now = MonotonicUs();
    if (now >= deadline) break;
    int wait_ms = static_cast<int>((deadline - now) / 1000) + 1;
    if (wait_ms > kLivenessCheckMs) wait_ms = kLivenessCheckMs;  // dead readers are reclaimed between waits
    Wait(&header_->release_futex, &header_->release_waiters, release_seen, wait_ms);
  }
  if (count_drop) __atomic_add_fetch(&header_->writer_drops, 1, __ATOMIC_RELAXED);
  return -1;
}

uint64_t RingCore::Commit(int32_t index, const CommitMeta& meta) {
  SlotMeta& s = SlotsOf(header_)[index];
  uint64_t number = __atomic_fetch_add(&header_->written, 1, __ATOMIC_RELAXED);
  s.bytes = meta.bytes;
  s.timestamp_us = meta.timestamp_us ? meta.timestamp_us : NowRealtimeUs();
  s.frame_number = meta.frame_number >= 0 ? static_cast<uint64_t>(meta.frame_number) : number;
  s.width = meta.width;
  s.height = meta.height;
  s.slot_id = meta.slot_id;
  s.restarts = meta.restarts;
  s.pts_us = meta.pts_us;
  s.format = static_cast<uint32_t>(mapping_->geometry.format);
  uint64_t seq;
  {
    std::lock_guard<std::mutex> in_order(commit_mutex_);
    seq = last_seq_.load(std::memory_order_relaxed) + 1;
    last_seq_.store(seq, std::memory_order_relaxed);
    // write_seq first: a reader never sees a Ready slot newer than write_seq says (it skips those as junk).
    __atomic_store_n(&header_->write_seq, seq, __ATOMIC_SEQ_CST);
    // Publishes the meta and the payload with it: a reader that sees Ready sees both.
    __atomic_store_n(&s.seq_state, PackSeqState(seq, SlotState::Ready), __ATOMIC_SEQ_CST);
  }
  Bump(&header_->publish_futex, &header_->publish_waiters);
  RingArmedDoorbells();
  return seq;
}

// After the slot is published (a sequentially consistent store), the exchange of armed_mask: against a reader's arm
// (its bit set, then a last look at the slots) this is a Dekker pair again, so a sleeping reader either sees the frame
// or gets its ring (PROTOCOL.md WAIT-4).
void RingCore::RingArmedDoorbells() {
  if (!doorbells_ || Load(&header_->armed_mask) == 0) return;
  uint64_t armed = __atomic_exchange_n(&header_->armed_mask, 0ull, __ATOMIC_SEQ_CST);
  for (uint32_t r = 0; armed != 0 && r < kMaxReaders; r++, armed >>= 1) {
    if (!(armed & 1)) continue;
    ReaderEntry& e = header_->readers[r];
    // The token names the registration we rang: a refusal is recorded as that token, so it never pushes a newcomer
    // in the same entry off its doorbell.
    uint64_t token = Load(&e.token);
    if (token != 0 && !doorbells_->Ring(mapping_->dev, mapping_->ino, token))
      __atomic_store_n(&e.refused_token, token, __ATOMIC_SEQ_CST);
  }
}

void RingCore::ArmDoorbell() {
  if (reader_ >= 0) __atomic_or_fetch(&header_->armed_mask, 1ull << reader_, __ATOMIC_SEQ_CST);
}

void RingCore::DisarmDoorbell() {
  if (reader_ >= 0) __atomic_and_fetch(&header_->armed_mask, ~(1ull << reader_), __ATOMIC_SEQ_CST);
}

bool RingCore::DoorbellArmed() {
  return reader_ >= 0 && (Load(&header_->armed_mask) & (1ull << reader_)) != 0;
}

bool RingCore::DoorbellRefused() {
  return reader_ >= 0 && !Evicted() && Load(&header_->readers[reader_].refused_token) == token_;
}

void RingCore::Abandon(int32_t index) {
  __atomic_store_n(&SlotsOf(header_)[index].seq_state, PackSeqState(0, SlotState::Free), __ATOMIC_SEQ_CST);
  Bump(&header_->release_futex, &header_->release_waiters);
}

void RingCore::MarkClosed() {
  __atomic_store_n(&header_->closed, 1u, __ATOMIC_RELEASE);
  Bump(&header_->publish_futex, &header_->publish_waiters);
  // Sleeping readers learn it at once too (they would within their liveness timer).
  RingArmedDoorbells();
}

void RingCore::ClearHolds(uint32_t r) {
  uint64_t keep = ~(1ull << r);
  SlotMeta* slots = SlotsOf(header_);
  for (uint32_t i = 0; i < slot_count(); i++) __atomic_and_fetch(&slots[i].hold_mask, keep, __ATOMIC_SEQ_CST);
}

void RingCore::ClearReader(uint32_t r) {
  ClearHolds(r);
  ReaderEntry& e = header_->readers[r];
  __atomic_and_fetch(&header_->armed_mask, ~(1ull << r), __ATOMIC_SEQ_CST);
  __atomic_store_n(&e.in_use, 0u, __ATOMIC_SEQ_CST);
  __atomic_store_n(&e.token, 0ull, __ATOMIC_SEQ_CST);
  e.held = 0;
}

void RingCore::ReclaimDeadReaders(bool force) {
  std::unique_lock<std::mutex> one_at_a_time(reclaim_mutex_, std::try_to_lock);
  if (!one_at_a_time.owns_lock()) return;  // another thread of ours is reclaiming right now
  uint64_t now = MonotonicUs();
  if (!force && now - last_reclaim_us_ < kReclaimEveryUs) return;
  last_reclaim_us_ = now;
  bool freed = false;
  for (uint32_t r = 0; r < kMaxReaders; r++) {
    if (!Load(&header_->readers[r].in_use)) continue;
    // Holding the entry's byte ourselves proves its owner is gone (the kernel dropped its lock) and keeps a newcomer
    // from claiming the entry while we clear it. Any failure, EMFILE included, leaves the entry alone.
    if (!TryLockByte(lock_fd_, kReaderLockByte + r)) continue;
    if (Load(&header_->readers[r].in_use)) {
      ClearReader(r);
      freed = true;
    }
    UnlockByte(lock_fd_, kReaderLockByte + r);
  }
  if (freed) Bump(&header_->release_futex, &header_->release_waiters);
}

int32_t RingCore::RegisterReader(ReadPolicy policy) {
  // First free entries, then entries of readers that died: holding an entry's byte makes it ours either way.
  for (int pass = 0; pass < 2; pass++) {
    for (uint32_t r = 0; r < kMaxReaders; r++) {
      ReaderEntry& e = header_->readers[r];
      if (pass == 0 && Load(&e.in_use)) continue;
      if (!TryLockByte(lock_fd_, kReaderLockByte + r)) continue;
      if (Load(&e.in_use)) ClearReader(r);  // its owner died without closing
      uint64_t token = __atomic_add_fetch(&header_->next_token, 1, __ATOMIC_SEQ_CST);
      e.policy = static_cast<uint32_t>(policy);
      e.pid = getpid();
      e.held = 0;
      e.delivered = 0;
      e.dropped = 0;
      e.refused_token = 0;
      // Hold bits a gone reader of this entry may have left on slots (a take in flight when it was cleared).
      ClearHolds(r);
      // New readers start with the frames published after they attach.
      uint64_t newest = Load(&header_->write_seq);
      __atomic_store_n(&e.cursor, policy == ReadPolicy::Every ? newest + 1 : newest, __ATOMIC_SEQ_CST);
      __atomic_store_n(&e.token, token, __ATOMIC_SEQ_CST);
      __atomic_store_n(&e.in_use, 1u, __ATOMIC_SEQ_CST);
      reader_ = static_cast<int32_t>(r);
      token_ = token;
      if (pass == 1) Bump(&header_->release_futex, &header_->release_waiters);  // a dead reader's holds are free
      return reader_;
    }
  }
  throw RingError("TOO_MANY_READERS", "ring already has " + std::to_string(kMaxReaders) +
                                          " live readers attached; close some readers first");
}

bool RingCore::Evicted() {
  if (!evicted_ && Load(&header_->readers[reader_].token) != token_) evicted_ = true;
  return evicted_;
}

void RingCore::UnregisterReader() {
  if (reader_ < 0) return;
  if (!Evicted()) ClearReader(static_cast<uint32_t>(reader_));  // frees every hold of ours in one step
  UnlockByte(lock_fd_, kReaderLockByte + reader_);
  Bump(&header_->release_futex, &header_->release_waiters);
  reader_ = -1;
}

// The client's half of the Dekker pair (SLOT-2), and its cursor rules (CURSOR-1, CURSOR-2).
bool RingCore::TryAcquire(AcquiredSlot* out) {
  // Our entry was cleared (by a hostile or confused process: a live reader keeps its lock) and may be someone else's
  // now: never read through it.
  if (Evicted()) return false;
  ReaderEntry& e = header_->readers[reader_];
  SlotMeta* slots = SlotsOf(header_);
  const uint64_t bit = 1ull << reader_;
  const bool every = e.policy == static_cast<uint32_t>(ReadPolicy::Every);
  // Seqs above the writer's published write_seq were never given: junk from another process, skipped. A cursor
  // beyond it (junk seen earlier) starts again from the newest frame rather than waiting forever.
  const uint64_t newest = Load(&header_->write_seq);
  uint64_t cursor = e.cursor;
  bool restart = cursor > newest + (every ? 1 : 0);
  if (restart) cursor = every ? newest : (newest > 0 ? newest - 1 : 0);
  for (int attempt = 0; attempt < kClaimAttempts; attempt++) {
    int32_t pick = -1;
    uint64_t pick_word = 0, pick_seq = 0;
    for (uint32_t i = 0; i < slot_count(); i++) {
      uint64_t w = Load(&slots[i].seq_state);
      if (StateOf(w) != SlotState::Ready) continue;
      uint64_t seq = SeqOf(w);
      if (seq > newest) continue;
      if (every) {
        // The oldest frame not yet read: in order, skipping only what was overwritten.
        if (seq >= cursor && (pick < 0 || seq < pick_seq))
          pick = static_cast<int32_t>(i), pick_seq = seq, pick_word = w;
      } else if (seq > cursor && seq > pick_seq) {
        pick = static_cast<int32_t>(i), pick_seq = seq, pick_word = w;
      }
    }
    if (pick < 0) return false;
    SlotMeta& s = slots[pick];
    // Our bit already set means another thread of ours holds it: never take (or clear) what we did not set.
    if (__atomic_fetch_or(&s.hold_mask, bit, __ATOMIC_SEQ_CST) & bit) return false;
    if (Load(&s.seq_state) != pick_word) {  // the writer took it in the same instant: choose again
      __atomic_and_fetch(&s.hold_mask, ~bit, __ATOMIC_SEQ_CST);
      Bump(&header_->release_futex, &header_->release_waiters);
      continue;
    }
    uint64_t missed = restart ? 0 : every ? pick_seq - cursor : pick_seq - cursor - 1;
    // Read-modify-writes: the reader's waiter thread takes frames while its JavaScript thread releases others.
    __atomic_add_fetch(&e.dropped, missed, __ATOMIC_RELAXED);
    __atomic_store_n(&e.cursor, every ? pick_seq + 1 : pick_seq, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&e.delivered, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&e.held, 1, __ATOMIC_RELAXED);
    out->index = pick;
    out->meta = s;
    out->seq = pick_seq;
    out->dropped_before = missed;
    return true;
  }
  return false;
}

bool RingCore::TryAcquireSlot(uint32_t index, uint64_t seq, AcquiredSlot* out) {
  if (Evicted() || index >= slot_count() || seq == 0 || seq > Load(&header_->write_seq)) return false;
  ReaderEntry& e = header_->readers[reader_];
  SlotMeta& s = SlotsOf(header_)[index];
  const uint64_t bit = 1ull << reader_;
  const uint64_t want = PackSeqState(seq, SlotState::Ready);
  if (Load(&s.seq_state) != want) return false;  // overwritten (or being written) already: no hold to take
  // The Dekker pair (SLOT-2), as in TryAcquire: our bit first, then the word reread.
  if (__atomic_fetch_or(&s.hold_mask, bit, __ATOMIC_SEQ_CST) & bit) return false;  // SLOT-7: ours already
  if (Load(&s.seq_state) != want) {
    __atomic_and_fetch(&s.hold_mask, ~bit, __ATOMIC_SEQ_CST);
    Bump(&header_->release_futex, &header_->release_waiters);
    return false;
  }
  __atomic_add_fetch(&e.delivered, 1, __ATOMIC_RELAXED);
  __atomic_add_fetch(&e.held, 1, __ATOMIC_RELAXED);
  out->index = static_cast<int32_t>(index);
  out->meta = s;
  out->seq = seq;
  out->dropped_before = 0;
  return true;
}

void RingCore::Release(int32_t index) {
  if (reader_ < 0 || Evicted()) return;
  const uint64_t bit = 1ull << reader_;
  SlotMeta& s = SlotsOf(header_)[index];
  uint64_t before = __atomic_fetch_and(&s.hold_mask, ~bit, __ATOMIC_SEQ_CST);
  if (before & bit) __atomic_sub_fetch(&header_->readers[reader_].held, 1, __ATOMIC_RELAXED);
  Bump(&header_->release_futex, &header_->release_waiters);
}

bool RingCore::WriterGone(std::string* why) {
  if (reader_ >= 0 && Evicted()) {
    if (why) *why = "this reader was dropped from the ring's reader table by another process; open the ring again";
    return true;
  }
  if (__atomic_load_n(&header_->closed, __ATOMIC_ACQUIRE)) {
    if (why) *why = kClosedByWriter;
    return true;
  }
  // The writer's lock byte is free only when no process serves the ring; an error probing it counts as alive.
  if (ProbeByte(lock_fd_, kWriterLockByte) == LockProbe::Free) {
    if (why) *why = "the ring's writer (pid " + std::to_string(header_->writer_pid) + ") died";
    return true;
  }
  return false;
}

WaitResult RingCore::WaitAcquire(int timeout_ms, const std::atomic<bool>* stop, AcquiredSlot* out) {
  uint64_t start = MonotonicUs();
  for (;;) {
    uint32_t seen = Load(&header_->publish_futex);
    if (stop && stop->load()) return WaitResult::Stopped;
    if (TryAcquire(out)) return WaitResult::Ready;
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
    Wait(&header_->publish_futex, &header_->publish_waiters, seen, wait_ms);
  }
}

void RingCore::WakeAll() {
  // Change the word too: a waiter between its stop check and its futex wait then returns at once.
  __atomic_add_fetch(&header_->publish_futex, 1, __ATOMIC_SEQ_CST);
  FutexWakeAll(&header_->publish_futex);
}

}  // namespace framering
