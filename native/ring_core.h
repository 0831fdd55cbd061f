// The ring's rules, shared by the writer (RingServer, RingPump) and the readers (RingClient), on a mapped segment.
// Lock-free: slots change hands by atomic operations on their seq_state and hold_mask words, so a process stopped or
// killed at any instruction never stops another. Wakeups are futexes in the segment, and every wait is bounded.
// The protocol and its invariants are written down in native/PROTOCOL.md.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "doorbell.h"
#include "ring_layout.h"
#include "shm_segment.h"

namespace framering {

// The longest single wait, and the period of a client's liveness look: a dead writer is noticed within it.
constexpr int kLivenessCheckMs = 250;
// WriterGone's reason when the writer closed the ring on purpose (TypeScript: CLOSED_BY_WRITER in ring_client.ts).
constexpr const char* kClosedByWriter = "the ring's writer closed it";

struct CommitMeta {
  uint64_t bytes = 0;
  uint64_t timestamp_us = 0;  // 0: now
  int64_t frame_number = -1;  // -1: the ring's own count
  int64_t pts_us = kNoPts;
  uint32_t width = 0;
  uint32_t height = 0;
  uint32_t slot_id = 0;
  uint32_t restarts = 0;
};

struct AcquiredSlot {
  int32_t index = -1;
  SlotMeta meta{};
  uint64_t seq = 0;
  uint64_t dropped_before = 0;  // frames this reader missed just before this one
};

enum class WaitResult { Ready, Timeout, WriterGone, Stopped };

class RingCore {
 public:
  // lock_fd: this participant's own open file description of the ring (see OpenedRing), used for its liveness lock
  // and to probe the others'.
  RingCore(Mapping* mapping, int lock_fd);

  RingHeader* header() const { return header_; }
  const RingGeometry& geometry() const { return mapping_->geometry; }
  uint8_t* payload(uint32_t index) const {
    return static_cast<uint8_t*>(mapping_->addr) + mapping_->payload_offset + mapping_->slot_stride * index;
  }
  uint32_t slot_count() const { return mapping_->geometry.slot_count; }
  uint64_t slot_bytes() const { return mapping_->geometry.slot_bytes; }
  uint64_t slot_stride() const { return mapping_->slot_stride; }
  uint64_t payload_offset() const { return mapping_->payload_offset; }
  bool blocking() const { return mapping_->geometry.flags & kFlagBlocking; }

  // Server side (the writer). Safe from several threads at once (the JavaScript thread and pump threads).
  // A free slot now marked Writing, or -1 (every slot held / timeout), counted as a writer drop when count_drop.
  // *stop (optional) ends a blocking wait early.
  int32_t Lend(int timeout_ms, bool count_drop = true, const std::atomic<bool>* stop = nullptr);
  uint64_t Commit(int32_t index, const CommitMeta& meta);
  void Abandon(int32_t index);
  void MarkClosed();
  // Writers: ring the doorbells of readers that armed them (see doorbell.h). Called by RingServer once.
  void EnableDoorbells() { doorbells_ = std::make_unique<DoorbellSender>(); }
  // Frees table entries and holds of readers that died (their lock byte is free). Throttled unless forced.
  void ReclaimDeadReaders(bool force = false);

  // Client side (a reader). One client per RingCore.
  int32_t RegisterReader(ReadPolicy policy);  // throws TOO_MANY_READERS
  void UnregisterReader();
  bool TryAcquire(AcquiredSlot* out);
  // Takes slot `index` only if it still holds frame `seq` (a reference another process passed on: SLOT-8).
  // Neither cursor nor drop counts move: the frame was chosen by whoever sent the reference.
  bool TryAcquireSlot(uint32_t index, uint64_t seq, AcquiredSlot* out);
  void Release(int32_t index);
  // Waits until TryAcquire succeeds, the writer is gone, timeout_ms passes (-1: forever) or *stop turns true.
  WaitResult WaitAcquire(int timeout_ms, const std::atomic<bool>* stop, AcquiredSlot* out);
  bool WriterGone(std::string* why);
  void WakeAll();  // wakes every waiter on the segment (used to stop our own waiter thread)
  // Readers on a doorbell: ask for a ring at the next commit, or stop asking. Arm before the last look for a frame.
  void ArmDoorbell();
  void DisarmDoorbell();
  bool DoorbellArmed();    // our bit is still set: the writer's next commit rings us
  bool DoorbellRefused();  // the writer could not reach our doorbell: use the waiter thread instead
  // The writer closed the ring (one load, no lock probe: cheap enough for every arm).
  bool Closed() const { return __atomic_load_n(&header_->closed, __ATOMIC_ACQUIRE) != 0; }
  uint64_t token() const { return token_; }
  int32_t reader() const { return reader_; }

 private:
  bool SlotNeededByEveryReader(uint64_t seq) const;
  void RingArmedDoorbells();
  bool Evicted();
  void ClearReader(uint32_t r);
  void ClearHolds(uint32_t r);

  Mapping* mapping_;
  RingHeader* header_;
  int lock_fd_;
  // One reclaim at a time in this process: the JavaScript timer and pump threads share our descriptor, and OFD locks
  // taken through one descriptor do not exclude each other.
  std::mutex reclaim_mutex_;
  // The writer's own sequence numbers. The header's write_seq only publishes them: junk written there by another
  // process is overwritten by the next commit and never moves our numbers. Commits of our threads (JavaScript,
  // pumps) take numbers and publish in one order under commit_mutex_ (never shared with another process).
  std::mutex commit_mutex_;
  std::atomic<uint64_t> last_seq_{0};
  std::unique_ptr<DoorbellSender> doorbells_;
  uint64_t last_reclaim_us_ = 0;
  int32_t reader_ = -1;
  uint64_t token_ = 0;  // our registration, to tell our entry from a newcomer's
  bool evicted_ = false;
  uint64_t last_liveness_us_ = 0;
};

}  // namespace framering
