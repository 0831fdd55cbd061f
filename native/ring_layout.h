// The bytes of one ring segment in /dev/shm. Shared by every process that maps it, so every field has a fixed
// size and offset; anything that changes this layout must bump kLayoutVersion.
#pragma once
#include <pthread.h>
#include <cstddef>
#include <cstdint>

namespace framering {

constexpr uint64_t kRingMagic = 0x31474e4952524d46ull;  // "FMRRING1" little-endian
constexpr uint32_t kLayoutVersion = 1;
constexpr uint32_t kMaxReaders = 64;                    // one bit each in SlotMeta::hold_mask
constexpr uint32_t kMaxSlots = 1024;
constexpr size_t kPayloadAlign = 4096;                  // page-aligned payloads: DMA/SIMD friendly, no false sharing
constexpr const char* kSegmentPrefix = "framering-";
constexpr size_t kMaxNameLength = 120;

enum class RingFormat : uint32_t { Rgb24 = 1, Data = 2 };
enum class ReadPolicy : uint32_t { Latest = 1, Every = 2 };
enum class SlotState : uint32_t { Free = 0, Writing = 1, Ready = 2 };

constexpr uint32_t kFlagBlocking = 1;  // lossless: the writer waits for `every` readers instead of overwriting

struct SlotMeta {
  uint64_t seq;           // 0 while Free or Writing; 1, 2, 3… once Ready
  uint64_t bytes;         // payload bytes in use (frames: width*height*3, data: message length)
  uint64_t timestamp_us;  // CLOCK_REALTIME at commit unless the writer gave one
  uint64_t frame_number;
  uint64_t hold_mask;     // bit r set: reader r holds this slot, the writer must not touch it
  uint32_t width;
  uint32_t height;
  uint32_t slot_id;       // the writer's source id (a camera index, a client index…)
  uint32_t state;         // SlotState
};

struct ReaderEntry {
  uint32_t in_use;
  uint32_t policy;        // ReadPolicy
  int32_t pid;
  uint32_t held;          // slots this reader holds now
  uint64_t start_time;    // of pid, in clock ticks since boot: pid reuse cannot fool liveness checks
  uint64_t cursor;        // every: next seq wanted; latest: last seq taken
  uint64_t delivered;
  uint64_t dropped;
};

struct RingHeader {
  // Identity and owner first, so that any future layout version can still be told apart and its owner checked.
  uint64_t magic;
  uint32_t version;
  uint32_t header_bytes;
  int32_t writer_pid;
  uint32_t closed;        // set by the writer's close(): readers stop at once instead of waiting for liveness checks
  uint64_t writer_start_time;
  uint64_t total_bytes;
  uint64_t created_us;
  // Geometry.
  uint32_t slot_count;
  uint32_t format;        // RingFormat
  uint64_t slot_bytes;    // capacity of one slot
  uint64_t slot_stride;   // slot_bytes rounded up to kPayloadAlign
  uint64_t payload_offset;
  uint32_t width;
  uint32_t height;
  uint32_t flags;
  uint32_t blocking_timeout_ms;
  // Wakeups: futex words inside the segment, so nothing but the segment appears in /dev/shm.
  alignas(64) uint32_t publish_futex;   // bumped on every commit and on close
  uint32_t release_futex;               // bumped on every release: a blocking writer waits on it
  uint32_t publish_waiters;
  uint32_t release_waiters;
  // State, guarded by lock.
  uint64_t write_seq;     // seq of the newest committed slot
  uint64_t written;
  uint64_t writer_drops;  // frames the writer could not place: every slot held
  alignas(64) pthread_mutex_t lock;     // process-shared and robust: a process killed inside it does not wedge the ring
  ReaderEntry readers[kMaxReaders];
  // SlotMeta slots[slot_count] follows, then the payloads at payload_offset.
};

inline SlotMeta* SlotsOf(RingHeader* h) {
  return reinterpret_cast<SlotMeta*>(reinterpret_cast<char*>(h) + sizeof(RingHeader));
}

inline size_t AlignUp(size_t n, size_t a) { return (n + a - 1) / a * a; }

}  // namespace framering
