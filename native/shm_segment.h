// One POSIX shared-memory object mapped into this process: create (with the checks that keep a full /dev/shm from
// becoming a SIGBUS later), open and validate, inspect for the cleanup tool, remove when stale.
#pragma once
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "ring_layout.h"

namespace framering {

struct RingGeometry {
  uint32_t slot_count = 0;
  uint64_t slot_bytes = 0;
  uint32_t width = 0;
  uint32_t height = 0;
  RingFormat format = RingFormat::Rgb24;
  uint32_t flags = 0;
  uint32_t blocking_timeout_ms = 0;
};

// One mapping of a segment per process (per JavaScript environment): every server and client of the same segment
// in this process shares it, and the ArrayBuffer that views its payloads. Unmapped when the last of them lets go, so
// the address is never reused while V8 still has a backing store registered there.
struct Mapping {
  void* addr = nullptr;
  size_t length = 0;
  // The geometry as validated when the segment was opened (or as created). The ring's code uses only this copy:
  // another process rewriting the header later cannot move our offsets past the mapping.
  RingGeometry geometry;
  uint64_t slot_stride = 0;
  uint64_t payload_offset = 0;
  int refs = 1;                  // guarded by the registry's mutex
  const void* scope = nullptr;   // the JavaScript environment it belongs to
  dev_t dev = 0;
  ino_t ino = 0;
  void* buffer_ref = nullptr;    // napi_ref of the shared ArrayBuffer, managed by napi_helpers
  int buffer_users = 0;
  void Ref();
  void Unref();
};

// A mapped ring plus this participant's own open file description of it, which carries its liveness lock (the
// writer's byte, or a reader's entry byte). Each server and each client has its own; closing it drops the lock.
struct OpenedRing {
  Mapping* mapping = nullptr;
  int fd = -1;
};

// Who may have made a segment we open: by default only our own user (or our group, for rings made group-readable
// and -writable), and never a segment other users can write.
struct TrustOptions {
  bool allow_foreign = false;
};

// "framering-<name>" with the name checked: 1..kMaxNameLength characters of [A-Za-z0-9._-].
std::string SegmentNameFor(const std::string& name);

size_t SegmentBytesFor(const RingGeometry& g);

// Creates, maps and publishes a new ring owned by this process (the returned fd holds the writer's lock). A stale
// ring of the same name (nobody holds its writer lock) is replaced; a live one is a RING_EXISTS error.
OpenedRing CreateRingSegment(const std::string& name, const RingGeometry& g, mode_t mode, const void* scope);

// Maps an existing ring and validates its header against the file. Throws RING_NOT_FOUND, RING_INVALID or
// RING_UNTRUSTED. Shares this process's existing mapping of the same file when there is one.
OpenedRing OpenRingSegment(const std::string& name, const void* scope, const TrustOptions& trust);

struct SegmentInfo {
  std::string kind;       // "ring", or what else sits at the name: "fifo", "symlink", "directory", "socket", "device"
  bool valid = false;
  std::string problem;
  pid_t writer_pid = 0;
  bool writer_alive = false;
  uint64_t bytes = 0;
  uint64_t age_ms = 0;
  uint32_t version = 0;
  uint32_t format = 0;
  uint32_t slot_count = 0;
  uint32_t width = 0;
  uint32_t height = 0;
  uint32_t readers = 0;
  bool closed = false;
  uint32_t uid = 0;
  uint32_t mode = 0;
};

// What the cleanup tool shows for /dev/shm/<segment_name>; never throws and never blocks for a bad file.
SegmentInfo InspectSegment(const std::string& segment_name);

// Removes a ring nobody serves: claims its writer lock first, so a live ring (of any layout version from 2 on) or
// one another process is replacing right now is never removed. False with *why when it was not removed. force (the
// cleanup tool's --all, asked for by a person) removes a live ring too, but still only a regular file, by (dev, inode).
bool RemoveStaleSegment(const std::string& segment_name, bool force, std::string* why);

// Unlinks only when the name still refers to the file (dev, ino).
bool UnlinkSegmentIf(const std::string& segment_name, dev_t dev, ino_t ino);

}  // namespace framering
