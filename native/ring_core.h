// The ring's rules, shared by the writer (RingServer, RingPump) and the readers (RingClient), on a mapped segment.
// Every state change happens under the segment's robust process-shared mutex; wakeups are futexes in the segment.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>

#include "ring_layout.h"
#include "shm_segment.h"

namespace framering {

struct CommitMeta {
  uint64_t bytes = 0;
  uint64_t timestamp_us = 0;  // 0: now
  int64_t frame_number = -1;  // -1: the ring's own count
  uint32_t width = 0;
  uint32_t height = 0;
  uint32_t slot_id = 0;
};

struct AcquiredSlot {
  int32_t index = -1;
  SlotMeta meta{};
  uint64_t dropped_before = 0;  // frames this reader missed just before this one
};

enum class WaitResult { Ready, Timeout, WriterGone, Stopped };

class RingCore {
 public:
  // The geometry is read once, after validation: another process writing the header later cannot move our offsets.
  explicit RingCore(Mapping* mapping)
      : mapping_(mapping),
        header_(static_cast<RingHeader*>(mapping->addr)),
        slot_count_(header_->slot_count),
        slot_bytes_(header_->slot_bytes),
        slot_stride_(header_->slot_stride),
        payload_offset_(header_->payload_offset) {}

  RingHeader* header() const { return header_; }
  uint8_t* payload(uint32_t index) const {
    return static_cast<uint8_t*>(mapping_->addr) + payload_offset_ + slot_stride_ * index;
  }
  uint32_t slot_count() const { return slot_count_; }
  uint64_t slot_bytes() const { return slot_bytes_; }
  uint64_t slot_stride() const { return slot_stride_; }
  uint64_t payload_offset() const { return payload_offset_; }

  // Writer side.
  // A free slot now marked Writing, or -1 (every slot held / timeout), counted as a writer drop when count_drop.
  int32_t Lend(int timeout_ms, bool count_drop = true);
  uint64_t Commit(int32_t index, const CommitMeta& meta);
  void Abandon(int32_t index);
  void MarkClosed();
  void ReclaimDeadReaders();     // throttled; frees table entries and holds of readers that died

  // Reader side.
  int32_t RegisterReader(ReadPolicy policy);  // throws TOO_MANY_READERS
  void UnregisterReader(int32_t reader);
  bool TryAcquire(int32_t reader, AcquiredSlot* out);
  void Release(int32_t reader, int32_t index);
  // Waits until TryAcquire succeeds, the writer is gone, timeout_ms passes (-1: forever) or *stop turns true.
  WaitResult WaitAcquire(int32_t reader, int timeout_ms, const std::atomic<bool>* stop, AcquiredSlot* out);
  bool WriterGone(std::string* why);
  void WakeAll();  // wakes every waiter on the segment (used to stop our own waiter thread)

 private:
  void Lock();
  void Unlock() { pthread_mutex_unlock(&header_->lock); }
  int32_t PickFreeSlot();
  bool SlotNeededByEveryReader(const SlotMeta& s) const;
  void ReclaimReader(uint32_t r);

  Mapping* mapping_;
  RingHeader* header_;
  const uint32_t slot_count_;
  const uint64_t slot_bytes_;
  const uint64_t slot_stride_;
  const uint64_t payload_offset_;
  uint64_t last_reclaim_us_ = 0;
  // The reader entry we registered, to tell it from a newcomer that took it over after we were judged dead.
  int32_t owner_pid_ = 0;
  uint64_t owner_start_ = 0;
  bool evicted_ = false;
  uint64_t last_liveness_us_ = 0;
};

}  // namespace framering
