// Liveness the kernel vouches for: open-file-description locks on single bytes of a ring file. A process holds its
// byte for as long as it serves or reads the ring; the kernel drops the lock when the process dies (kill -9 included),
// whatever its PID namespace, and nothing in /proc has to be readable. Probing needs no new file descriptor, so a
// process out of descriptors (EMFILE) still tells dead from alive.
#pragma once
#include <cstdint>

namespace framering {

enum class LockProbe { Held, Free, Unknown };

// Takes the write lock on byte `offset` through fd without waiting. True when taken (or already ours through fd).
bool TryLockByte(int fd, int64_t offset);
void UnlockByte(int fd, int64_t offset);

// Whether another open file description holds byte `offset`. Unknown on any error: "can't tell" is never "dead".
LockProbe ProbeByte(int fd, int64_t offset);

// True unless the probe says for certain that nobody holds the byte.
inline bool HeldOrUnknown(int fd, int64_t offset) { return ProbeByte(fd, offset) != LockProbe::Free; }

}  // namespace framering
