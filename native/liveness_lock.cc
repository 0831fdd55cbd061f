#include "liveness_lock.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

namespace framering {

namespace {
struct flock ByteLock(short type, int64_t offset) {
  struct flock fl;
  memset(&fl, 0, sizeof fl);  // l_pid must be 0 for OFD locks
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = offset;
  fl.l_len = 1;
  return fl;
}
}  // namespace

bool TryLockByte(int fd, int64_t offset) {
  struct flock fl = ByteLock(F_WRLCK, offset);
  while (fcntl(fd, F_OFD_SETLK, &fl) != 0) {
    if (errno != EINTR) return false;
  }
  return true;
}

void UnlockByte(int fd, int64_t offset) {
  struct flock fl = ByteLock(F_UNLCK, offset);
  while (fcntl(fd, F_OFD_SETLK, &fl) != 0 && errno == EINTR) {
  }
}

LockProbe ProbeByte(int fd, int64_t offset) {
  if (fd < 0) return LockProbe::Unknown;
  struct flock fl = ByteLock(F_WRLCK, offset);
  int rc;
  do rc = fcntl(fd, F_OFD_GETLK, &fl);
  while (rc != 0 && errno == EINTR);
  if (rc != 0) return LockProbe::Unknown;
  return fl.l_type == F_UNLCK ? LockProbe::Free : LockProbe::Held;
}

}  // namespace framering
