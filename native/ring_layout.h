// The bytes of one ring segment in /dev/shm. Shared by every process that maps it, so every field has a fixed
// size and offset; anything that changes this layout must bump kLayoutVersion. The invariants every process keeps
// are written down in native/PROTOCOL.md.
#pragma once
#include <cstddef>
#include <cstdint>

namespace framering {

constexpr uint64_t kRingMagic = 0x31474e4952524d46ull;  // "FMRRING1" little-endian
constexpr uint32_t kLayoutVersion = 3;  // 2: lock-free slots, liveness locks; 3: SlotMeta pts_us, restarts, format
constexpr uint32_t kMaxReaders = 64;                    // one bit each in SlotMeta::hold_mask
constexpr uint32_t kMaxSlots = 1024;
// The one limit on frame width and height, exported to TypeScript (addon.limits): 16384 keeps width*height*4 and
// every stride product far from overflow, and is above any camera's resolution.
constexpr uint32_t kMaxDimension = 16384;
constexpr size_t kPayloadAlign = 4096;                  // page-aligned payloads: DMA/SIMD friendly, no false sharing
constexpr const char* kSegmentPrefix = "framering-";
constexpr size_t kMaxNameLength = 120;

// Liveness (every layout version from 2 on): the writer holds an open-file-description lock (F_OFD_SETLK) on byte
// kWriterLockByte of the file for as long as it serves the ring, and reader r holds one on kReaderLockByte + r for
// as long as its table entry is in use. The kernel drops them when the process dies, in any PID namespace, and a
// reused pid cannot fake one. Byte positions never change between versions, so any version can tell a live ring.
constexpr int64_t kWriterLockByte = 0;
constexpr int64_t kReaderLockByte = 1;

// What a ring's bytes are: pixels in one of the frame formats, or data messages. The ring itself moves bytes and never
// looks at them; the tag is in the header (known before the first frame) and in every slot's meta.
enum class RingFormat : uint32_t { Rgb24 = 1, Data = 2, Bgr24 = 3, Gray8 = 4 };

inline bool KnownFormat(uint32_t f) { return f >= 1 && f <= 4; }
inline const char* FormatName(uint32_t f) {
  switch (f) {
    case 1: return "rgb24";
    case 2: return "data";
    case 3: return "bgr24";
    case 4: return "gray8";
    default: return "unknown";
  }
}
// 0 for data, else the bytes one pixel takes.
inline uint32_t BytesPerPixel(RingFormat f) {
  switch (f) {
    case RingFormat::Rgb24:
    case RingFormat::Bgr24: return 3;
    case RingFormat::Gray8: return 1;
    default: return 0;
  }
}

// SlotMeta::pts_us of a frame whose source gave no presentation time (or whose writer set none).
constexpr int64_t kNoPts = INT64_MIN;
enum class ReadPolicy : uint32_t { Latest = 1, Every = 2 };
enum class SlotState : uint64_t { Free = 0, Writing = 1, Ready = 2 };

constexpr uint32_t kFlagBlocking = 1;  // lossless: the writer waits for `every` readers instead of overwriting

// seq_state packs a slot's sequence number and state into one word, so that a reader can check with one load that the
// slot it holds is still the frame it chose.
inline uint64_t PackSeqState(uint64_t seq, SlotState s) { return seq << 2 | static_cast<uint64_t>(s); }
inline uint64_t SeqOf(uint64_t seq_state) { return seq_state >> 2; }
inline SlotState StateOf(uint64_t seq_state) { return static_cast<SlotState>(seq_state & 3); }

struct SlotMeta {
  uint64_t seq_state;     // atomic. Free: seq 0; Writing: seq 0; Ready: seq 1, 2, 3…
  uint64_t hold_mask;     // atomic. Bit r set: reader r holds this slot, the writer must not take it
  uint64_t bytes;         // payload bytes in use (frames: width*height*bytes per pixel, data: message length)
  uint64_t timestamp_us;  // CLOCK_REALTIME at commit unless the writer gave one
  uint64_t frame_number;
  uint32_t width;
  uint32_t height;
  uint32_t slot_id;       // the writer's source id (a camera index, a client index…)
  uint32_t restarts;      // how often the writer's source restarted before this frame (e.g. ffmpeg runs - 1)
  int64_t pts_us;         // the source's presentation time in µs (camera time), kNoPts when unknown
  uint32_t format;        // RingFormat of this payload (the ring's own)
  uint32_t reserved;
};

struct ReaderEntry {
  uint32_t in_use;        // set only while the owner holds the entry's liveness lock byte
  uint32_t policy;        // ReadPolicy
  int32_t pid;            // for people and tools only: liveness is the lock, not the pid
  uint32_t held;          // slots this reader holds now (written by the reader; zeroed by whoever reclaims the entry)
  uint64_t token;         // unique per registration: tells the entry's owner from a later one
  uint64_t cursor;        // every: next seq wanted; latest: last seq taken (written by the reader only)
  uint64_t delivered;
  uint64_t dropped;
  uint64_t refused_token;  // the writer could not reach the doorbell of this registration (token): use the thread
};

struct RingHeader {
  // Identity and owner first, at the same offsets in every layout version, so that any version can be told apart.
  uint64_t magic;
  uint32_t version;
  uint32_t header_bytes;
  int32_t writer_pid;     // for people and tools only: liveness is the writer's lock byte
  uint32_t closed;        // set by the writer's close(): readers stop at once
  uint64_t writer_start_time;  // layout 1 judged liveness by pid + start time; kept so version 1 rings read the same
  uint64_t total_bytes;
  uint64_t created_us;
  // Geometry: written once before the magic, read once by each opener and validated; never reread after.
  uint32_t slot_count;
  uint32_t format;        // RingFormat
  uint64_t slot_bytes;    // capacity of one slot
  uint64_t slot_stride;   // slot_bytes rounded up to kPayloadAlign
  uint64_t payload_offset;
  uint32_t width;
  uint32_t height;
  uint32_t flags;
  uint32_t blocking_timeout_ms;
  // Wakeups: futex words inside the segment, so nothing but the segment appears in /dev/shm. Only hints: every
  // wait is bounded, so a corrupted word costs latency, never a hang.
  alignas(64) uint32_t publish_futex;   // bumped on every commit and on close
  uint32_t release_futex;               // bumped on every release: a blocking writer waits on it
  uint32_t publish_waiters;
  uint32_t release_waiters;
  // Counters, all atomic. There is no lock in the segment: nothing a stopped process holds can stop another.
  uint64_t write_seq;     // seq of the newest committed slot
  uint64_t written;
  uint64_t writer_drops;  // frames the writer could not place: every slot held
  uint64_t next_token;    // reader registrations
  uint64_t armed_mask;    // bit r: reader r sleeps on its doorbell and wants a ring at the next commit (doorbell.h)
  alignas(64) ReaderEntry readers[kMaxReaders];
  // SlotMeta slots[slot_count] follows, then the payloads at payload_offset.
};

inline SlotMeta* SlotsOf(RingHeader* h) {
  return reinterpret_cast<SlotMeta*>(reinterpret_cast<char*>(h) + sizeof(RingHeader));
}

inline size_t AlignUp(size_t n, size_t a) { return (n + a - 1) / a * a; }

}  // namespace framering
