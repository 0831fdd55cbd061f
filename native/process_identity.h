// Who a process is by pid plus start time. Only rings of layout 1 are judged by this (newer ones carry liveness
// locks, see liveness_lock.h); a pid alone is reused by the kernel, and /proc may be unreadable or another namespace's.
#pragma once
#include <sys/types.h>
#include <cstdint>

namespace framering {

// Start time in clock ticks since boot (/proc/<pid>/stat field 22), 0 if the process does not exist or can't be read.
uint64_t ProcessStartTime(pid_t pid);

// False only when pid certainly is not the process that had start_time: what can't be read counts as alive.
bool ProcessAlive(pid_t pid, uint64_t start_time);

uint64_t SelfStartTime();

uint64_t NowRealtimeUs();

}  // namespace framering
