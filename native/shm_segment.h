// One POSIX shared-memory object mapped into this process: create (with the checks that keep a full /dev/shm
// from becoming a SIGBUS later), open and validate, inspect for the cleanup tool, unlink.
#pragma once
#include <sys/types.h>

#include <atomic>
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
// in this process shares it, and the ArrayBuffer that views it. Unmapped when the last of them lets go, so the
// address is never reused while V8 still has a backing store registered there.
struct Mapping {
  void* addr = nullptr;
  size_t length = 0;
  int refs = 1;                  // guarded by the registry's mutex
  const void* scope = nullptr;   // the JavaScript environment it belongs to
  dev_t dev = 0;
  ino_t ino = 0;
  void* buffer_ref = nullptr;    // napi_ref of the shared ArrayBuffer, managed by napi_helpers
  int buffer_users = 0;
  void Ref();
  void Unref();
};

// "framering-<name>" with the name checked: 1..kMaxNameLength characters of [A-Za-z0-9._-].
std::string SegmentNameFor(const std::string& name);

size_t SegmentBytesFor(const RingGeometry& g);

// Creates and maps a new ring, initialised and owned by this process. A stale ring of the same name (owner dead, or
// a half-created file) is replaced; a live owner's ring is a RING_EXISTS error.
Mapping* CreateRingSegment(const std::string& name, const RingGeometry& g, mode_t mode, const void* scope);

// Maps an existing ring and validates its header against the file. Throws RING_NOT_FOUND or RING_INVALID.
// Returns this process's existing mapping of the same file when there is one.
Mapping* OpenRingSegment(const std::string& name, const void* scope);

struct SegmentInfo {
  bool valid = false;
  std::string problem;
  pid_t writer_pid = 0;
  bool writer_alive = false;
  uint64_t bytes = 0;
  uint64_t age_ms = 0;
  uint32_t format = 0;
  uint32_t slot_count = 0;
  uint32_t width = 0;
  uint32_t height = 0;
  uint32_t readers = 0;
  bool closed = false;
};

// What the cleanup tool shows for /dev/shm/<segment_name>; never throws for a bad file, only describes it.
SegmentInfo InspectSegment(const std::string& segment_name);

bool UnlinkSegment(const std::string& segment_name);

// Unlinks only when the name still refers to the file (dev, ino).
bool UnlinkSegmentIf(const std::string& segment_name, dev_t dev, ino_t ino);

}  // namespace framering
