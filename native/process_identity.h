// Who a process is: pid plus its start time, since a pid alone is reused by the kernel.
#pragma once
#include <sys/types.h>
#include <cstdint>

namespace framering {

// Start time in clock ticks since boot (/proc/<pid>/stat field 22), 0 if the process does not exist.
uint64_t ProcessStartTime(pid_t pid);

// True when pid runs and is the same process that had start_time.
bool ProcessAlive(pid_t pid, uint64_t start_time);

uint64_t SelfStartTime();

uint64_t NowRealtimeUs();

}  // namespace framering
