#include "shm_segment.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>
#include <mutex>
#include <tuple>
#include <vector>

#include "liveness_lock.h"
#include "process_identity.h"
#include "ring_error.h"

namespace framering {

std::string SystemMessage(int err) { return std::string(strerror(err)); }

namespace {

constexpr const char* kShmDir = "/dev/shm";
constexpr uint64_t kMaxRingBytes = 1ull << 40;  // 1 TiB: anything larger is a unit mistake or a corrupt header

std::mutex registry_mutex;
std::map<std::tuple<const void*, dev_t, ino_t>, Mapping*> registry;  // the mappings this process has, by file

std::string PathOf(const std::string& segment) { return std::string(kShmDir) + "/" + segment; }

// What sits at a ring's name when it is not a regular file, in words for error messages and the cleanup tool.
const char* KindOf(mode_t m) {
  if (S_ISREG(m)) return "ring";
  if (S_ISFIFO(m)) return "fifo";
  if (S_ISLNK(m)) return "symlink";
  if (S_ISDIR(m)) return "directory";
  if (S_ISSOCK(m)) return "socket";
  return "device";
}

std::string KindWords(const std::string& kind) {
  if (kind == "fifo") return "a named pipe (FIFO)";
  if (kind == "symlink") return "a symbolic link";
  if (kind == "directory") return "a directory";
  if (kind == "socket") return "a socket";
  return "a device file";
}

// Opens the file at a ring's name without following links and without blocking on a FIFO. Returns -1 with *kind set
// when something other than a regular file sits there, or with errno set when the open failed.
int OpenRingFile(const std::string& segment, int access, std::string* kind) {
  std::string path = PathOf(segment);
  // Look first without opening for reading or writing (O_PATH): opening a FIFO would wake a process blocked in
  // opening its other end.
  int probe = open(path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (probe >= 0) {
    struct stat pst;
    bool regular = fstat(probe, &pst) == 0 && S_ISREG(pst.st_mode);
    if (!regular && fstat(probe, &pst) == 0) *kind = KindOf(pst.st_mode);
    close(probe);
    if (!regular) {
      if (kind->empty()) *kind = "device";
      errno = EINVAL;
      return -1;
    }
  }
  int fd = open(path.c_str(), access | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    struct stat lst;
    if ((err == ELOOP || err == EISDIR || err == ENXIO || err == EACCES) && lstat(path.c_str(), &lst) == 0 &&
        !S_ISREG(lst.st_mode))
      *kind = KindOf(lst.st_mode);
    errno = err;
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    *kind = fstat(fd, &st) == 0 ? KindOf(st.st_mode) : "device";
    close(fd);
    errno = EINVAL;
    return -1;
  }
  return fd;
}

// Owner checks: a ring another user made, or one every user may write, could carry frames someone planted.
std::string UntrustedWhy(const struct stat& st, const TrustOptions& trust) {
  if (trust.allow_foreign) return "";
  if (st.st_mode & S_IWOTH) {
    char mode[8];
    snprintf(mode, sizeof mode, "%o", static_cast<unsigned>(st.st_mode & 0777));
    return std::string("every user may write it (mode ") + mode + ")";
  }
  if (st.st_uid == geteuid()) return "";
  bool group_shared = (st.st_mode & 0060) == 0060;
  if (group_shared) {
    if (st.st_gid == getegid()) return "";
    int n = getgroups(0, nullptr);
    std::vector<gid_t> groups(n > 0 ? n : 0);
    if (n > 0 && getgroups(n, groups.data()) == n)
      for (gid_t g : groups)
        if (g == st.st_gid) return "";
  }
  return "it belongs to user id " + std::to_string(st.st_uid) + ", not to this process's user (" +
         std::to_string(geteuid()) + ")";
}

size_t MetaBytesFor(uint32_t slot_count) { return sizeof(RingHeader) + sizeof(SlotMeta) * slot_count; }

uint64_t AgeMs(const struct stat& st) {
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  int64_t age = (now.tv_sec - st.st_mtim.tv_sec) * 1000 + (now.tv_nsec - st.st_mtim.tv_nsec) / 1000000;
  return age > 0 ? static_cast<uint64_t>(age) : 0;
}

// Reads the header into a private copy: every check is made on bytes no other process can change under us.
bool ReadHeader(int fd, RingHeader* out) {
  return pread(fd, out, sizeof(RingHeader), 0) == static_cast<ssize_t>(sizeof(RingHeader));
}

// Whether the ring's writer lives. Layout 1 had no liveness locks: its pid and start time are all there is.
bool WriterAlive(int fd, const RingHeader& h) {
  if (h.version == 1) return ProcessAlive(h.writer_pid, h.writer_start_time);
  return HeldOrUnknown(fd, kWriterLockByte);
}

}  // namespace

void Mapping::Ref() {
  std::lock_guard<std::mutex> lock(registry_mutex);
  refs++;
}

void Mapping::Unref() {
  std::lock_guard<std::mutex> lock(registry_mutex);
  if (--refs > 0) return;
  auto it = registry.find({scope, dev, ino});
  if (it != registry.end() && it->second == this) registry.erase(it);
  if (addr) munmap(addr, length);
  delete this;
}

static Mapping* FindMapping(const void* scope, const struct stat& st) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  auto it = registry.find({scope, st.st_dev, st.st_ino});
  if (it == registry.end()) return nullptr;
  it->second->refs++;
  return it->second;
}

static void RegisterMapping(Mapping* m, const void* scope, const struct stat& st) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  m->scope = scope;
  m->dev = st.st_dev;
  m->ino = st.st_ino;
  registry[{scope, st.st_dev, st.st_ino}] = m;
}

std::string SegmentNameFor(const std::string& name) {
  if (name.empty())
    throw RingError("INVALID_ARGUMENT", "ring name is empty: give a name of letters, digits, '.', '_' or '-'");
  if (name.size() > kMaxNameLength)
    throw RingError("INVALID_ARGUMENT", "ring name '" + name.substr(0, 40) + "…' is " + std::to_string(name.size()) +
                                            " characters long; the limit is " + std::to_string(kMaxNameLength));
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-';
    if (!ok)
      throw RingError("INVALID_ARGUMENT", "ring name '" + name + "' holds '" + std::string(1, c) +
                                              "'; use only letters, digits, '.', '_' and '-' (no '/')");
  }
  if (name == "." || name == "..") throw RingError("INVALID_ARGUMENT", "ring name '" + name + "' is reserved");
  return std::string(kSegmentPrefix) + name;
}

size_t SegmentBytesFor(const RingGeometry& g) {
  size_t stride = AlignUp(g.slot_bytes, kPayloadAlign);
  return AlignUp(MetaBytesFor(g.slot_count), kPayloadAlign) + stride * g.slot_count;
}

static void CheckGeometry(const RingGeometry& g) {
  if (g.slot_count < 2 || g.slot_count > kMaxSlots)
    throw RingError("INVALID_ARGUMENT", "slots must be between 2 and " + std::to_string(kMaxSlots) + ", got " +
                                            std::to_string(g.slot_count));
  if (g.slot_bytes == 0) throw RingError("INVALID_ARGUMENT", "slot size must be at least 1 byte");
  if (g.slot_bytes > kMaxRingBytes / g.slot_count)
    throw RingError("INVALID_ARGUMENT", "ring of " + std::to_string(g.slot_count) + " slots of " +
                                            std::to_string(g.slot_bytes) + " bytes is absurdly large");
}

static void InitialiseHeader(RingHeader* h, const RingGeometry& g, size_t total) {
  memset(h, 0, MetaBytesFor(g.slot_count));
  h->version = kLayoutVersion;
  h->header_bytes = sizeof(RingHeader);
  h->writer_pid = getpid();
  h->writer_start_time = SelfStartTime();
  h->total_bytes = total;
  h->created_us = NowRealtimeUs();
  h->slot_count = g.slot_count;
  h->format = static_cast<uint32_t>(g.format);
  h->slot_bytes = g.slot_bytes;
  h->slot_stride = AlignUp(g.slot_bytes, kPayloadAlign);
  h->payload_offset = AlignUp(MetaBytesFor(g.slot_count), kPayloadAlign);
  h->width = g.width;
  h->height = g.height;
  h->flags = g.flags;
  h->blocking_timeout_ms = g.blocking_timeout_ms;
  // Magic last: a reader that sees it sees a complete header.
  __atomic_store_n(&h->magic, kRingMagic, __ATOMIC_RELEASE);
}

// The creator (the writer: the pump fills every slot) maps with MAP_POPULATE so its data path takes no page faults.
// Readers do not: they fault in only the pages they touch, once, and a process that looks at a few bytes of each
// frame (or none) does not carry the whole ring in its RSS (the pages are shared and counted once in /dev/shm).
static Mapping* MapFd(int fd, size_t length, const RingGeometry& g, const std::string& segment, bool populate) {
  void* addr = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED | (populate ? MAP_POPULATE : 0), fd, 0);
  if (addr == MAP_FAILED) {
    int err = errno;
    throw RingError("SYSTEM", "cannot map /dev/shm/" + segment + ": " + SystemMessage(err));
  }
  auto* m = new Mapping();
  m->addr = addr;
  m->length = length;
  m->geometry = g;
  m->slot_stride = AlignUp(g.slot_bytes, kPayloadAlign);
  m->payload_offset = AlignUp(MetaBytesFor(g.slot_count), kPayloadAlign);
  return m;
}

// An existing file at the name of a ring we create. Returns an fd of it holding its writer lock when it is stale
// (nobody serves it), so that no other process can claim or remove it while we replace it; -1 when it vanished.
// Throws RING_EXISTS when it is live, not a ring file, or not ours to replace.
static int ClaimStale(const std::string& segment, uint64_t* stale_bytes) {
  std::string kind;
  int fd = OpenRingFile(segment, O_RDWR, &kind);
  if (fd < 0) {
    int err = errno;
    if (!kind.empty())
      throw RingError("RING_EXISTS", "/dev/shm/" + segment + " is " + KindWords(kind) +
                                         ", not a framering ring; remove it by hand if nothing needs it");
    if (err == ENOENT) return -1;
    throw RingError("RING_EXISTS", "/dev/shm/" + segment + " exists and cannot be opened to check it (" +
                                       SystemMessage(err) + "); remove it or choose another ring name");
  }
  struct stat st;
  fstat(fd, &st);
  std::string untrusted = UntrustedWhy(st, TrustOptions{});
  if (!untrusted.empty()) {
    close(fd);
    throw RingError("RING_EXISTS", "/dev/shm/" + segment + " exists and is not ours to replace: " + untrusted);
  }
  RingHeader h;
  bool has_header = ReadHeader(fd, &h) && h.magic == kRingMagic;
  if (!TryLockByte(fd, kWriterLockByte)) {
    close(fd);
    throw RingError("RING_EXISTS", "ring /dev/shm/" + segment + " is served by live process " +
                                       (has_header ? std::to_string(h.writer_pid) : std::string("(being created)")) +
                                       " or being replaced by another process right now; stop that process or "
                                       "choose another ring name");
  }
  if (has_header && h.version == 1 && ProcessAlive(h.writer_pid, h.writer_start_time)) {
    close(fd);
    throw RingError("RING_EXISTS", "ring /dev/shm/" + segment + " is served by live process " +
                                       std::to_string(h.writer_pid) + " (an older framering, layout 1)");
  }
  *stale_bytes = static_cast<uint64_t>(st.st_blocks) * 512;
  return fd;
}

// A new, unnamed file in /dev/shm (O_TMPFILE): it is locked, sized, reserved and initialised before anybody can
// see it, then published under its name by linkat(), which fails if the name was taken meanwhile. Where O_TMPFILE
// or /proc/self/fd is missing, the file is created at its name and locked at once.
static int NewRingFile(const std::string& segment, mode_t mode, bool* published) {
  *published = false;
  if (access("/proc/self/fd", X_OK) == 0) {
    int fd = open(kShmDir, O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
    if (fd >= 0) return fd;
  }
  int fd = open(PathOf(segment).c_str(), O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) {
    int err = errno;
    throw RingError(err == EEXIST ? "RING_EXISTS" : "SYSTEM",
                    "cannot create /dev/shm/" + segment + ": " + SystemMessage(err) +
                        (err == EEXIST ? "; another process created it at the same moment" : ""));
  }
  *published = true;
  return fd;
}

static void Publish(int fd, const std::string& segment) {
  std::string self = "/proc/self/fd/" + std::to_string(fd);
  if (linkat(AT_FDCWD, self.c_str(), AT_FDCWD, PathOf(segment).c_str(), AT_SYMLINK_FOLLOW) == 0) return;
  int err = errno;
  throw RingError(err == EEXIST ? "RING_EXISTS" : "SYSTEM",
                  "cannot publish /dev/shm/" + segment + ": " + SystemMessage(err) +
                      (err == EEXIST ? "; another process created a ring of that name at the same moment" : ""));
}

OpenedRing CreateRingSegment(const std::string& name, const RingGeometry& g, mode_t mode, const void* scope) {
  std::string segment = SegmentNameFor(name);
  CheckGeometry(g);
  size_t total = SegmentBytesFor(g);

  uint64_t stale_bytes = 0;
  int stale_fd = ClaimStale(segment, &stale_bytes);
  struct ClaimGuard {
    int fd;
    ~ClaimGuard() {
      if (fd >= 0) close(fd);  // lets go of the old file's writer lock
    }
  } claim{stale_fd};

  struct statvfs vfs;
  // A tmpfs mounted without a size limit reports no blocks at all: then posix_fallocate below is the only check.
  if (statvfs(kShmDir, &vfs) == 0 && vfs.f_blocks > 0) {
    // The stale ring we replace gives its pages back (unless a reader still maps it).
    uint64_t avail = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize + stale_bytes;
    if (total > avail)
      throw RingError("NO_SPACE", "ring '" + name + "' needs " + std::to_string(total >> 20) +
                                      " MiB but /dev/shm has " + std::to_string(avail >> 20) +
                                      " MiB free; use fewer slots or smaller frames, remove dead rings with "
                                      "`npm run cleanup`, or enlarge /dev/shm (Docker: --shm-size)");
  }
  if (stale_fd >= 0) {
    // Only the holder of the old file's writer lock removes its name, and only while the name is still that file.
    struct stat old_st, at_name;
    fstat(stale_fd, &old_st);
    // The name already gone (its writer closed it meanwhile) is as good: it is free.
    if (lstat(PathOf(segment).c_str(), &at_name) == 0 && !UnlinkSegmentIf(segment, old_st.st_dev, old_st.st_ino))
      throw RingError("RING_EXISTS", "ring /dev/shm/" + segment + " was replaced by another process right now");
    // Its name is gone, so nobody can claim it any more: let go now, or our descriptor keeps its pages allocated.
    close(claim.fd);
    claim.fd = -1;
  }

  bool published = false;
  int fd = NewRingFile(segment, mode, &published);
  auto fail = [&](const std::string& code, const std::string& msg) {
    if (published) {
      struct stat st;
      if (fstat(fd, &st) == 0) UnlinkSegmentIf(segment, st.st_dev, st.st_ino);
    }
    close(fd);
    throw RingError(code, msg);
  };
  if (!TryLockByte(fd, kWriterLockByte))
    fail("RING_EXISTS", "ring /dev/shm/" + segment + " was claimed by another process right now");
  if (published) {
    // Created at its name: between the create and the lock another process may have taken it for stale and removed
    // it. Serve it only if the name is still this file.
    struct stat mine, at_name;
    if (fstat(fd, &mine) != 0 || lstat(PathOf(segment).c_str(), &at_name) != 0 || mine.st_ino != at_name.st_ino ||
        mine.st_dev != at_name.st_dev)
      fail("RING_EXISTS",
           "ring /dev/shm/" + segment + " was replaced by another process while being created; try again");
  }
  fchmod(fd, mode);  // the open's mode is filtered by the umask; the caller's choice wins
  // The only ftruncate framering makes: on a file nobody else can have mapped yet.
  if (ftruncate(fd, static_cast<off_t>(total)) != 0)
    fail("SYSTEM", "cannot size /dev/shm/" + segment + ": " + SystemMessage(errno));
  // Reserve the pages now: a full /dev/shm is an error here, not a SIGBUS at the first frame.
  int rc = posix_fallocate(fd, 0, static_cast<off_t>(total));
  if (rc != 0)
    fail(rc == ENOSPC ? "NO_SPACE" : "SYSTEM",
         "cannot reserve " + std::to_string(total >> 20) + " MiB for ring '" + name + "' in /dev/shm: " +
             SystemMessage(rc) + "; free space with `npm run cleanup` or enlarge /dev/shm (Docker: --shm-size)");
  Mapping* m = nullptr;
  try {
    m = MapFd(fd, total, g, segment, true);
  } catch (const RingError& e) {
    fail(e.code, e.what());
  }
  InitialiseHeader(static_cast<RingHeader*>(m->addr), g, total);
  if (!published) {
    try {
      Publish(fd, segment);
    } catch (const RingError& e) {
      m->Unref();
      fail(e.code, e.what());
    }
  }
  struct stat st;
  fstat(fd, &st);
  RegisterMapping(m, scope, st);
  return {m, fd};
}

static std::string ValidateHeader(const RingHeader& h, size_t file_bytes, RingGeometry* g) {
  if (h.magic != kRingMagic) return "its header has no framering magic (a foreign or half-created file)";
  if (h.version != kLayoutVersion)
    return "its layout version is " + std::to_string(h.version) + " but this framering reads version " +
           std::to_string(kLayoutVersion) + " (writer and reader run different framering versions)";
  if (h.header_bytes != sizeof(RingHeader)) return "its header size does not match this build";
  if (h.slot_count < 2 || h.slot_count > kMaxSlots || h.slot_bytes == 0 || h.slot_bytes > kMaxRingBytes / h.slot_count)
    return "its geometry is corrupt";
  if (!KnownFormat(h.format)) return "its format is unknown";
  g->slot_count = h.slot_count;
  g->slot_bytes = h.slot_bytes;
  g->width = h.width;
  g->height = h.height;
  g->format = static_cast<RingFormat>(h.format);
  g->flags = h.flags;
  g->blocking_timeout_ms = h.blocking_timeout_ms;
  size_t expected = SegmentBytesFor(*g);
  if (h.total_bytes != expected || h.payload_offset != AlignUp(MetaBytesFor(h.slot_count), kPayloadAlign) ||
      h.slot_stride != AlignUp(h.slot_bytes, kPayloadAlign))
    return "its geometry does not add up";
  if (file_bytes != expected)
    return "it is " + std::to_string(file_bytes) + " bytes but its geometry needs exactly " + std::to_string(expected) +
           (file_bytes < expected ? " (truncated)" : " (extended by someone else)");
  return "";
}

static bool SameGeometry(const RingGeometry& a, const RingGeometry& b) {
  return a.slot_count == b.slot_count && a.slot_bytes == b.slot_bytes && a.width == b.width && a.height == b.height &&
         a.format == b.format && a.flags == b.flags && a.blocking_timeout_ms == b.blocking_timeout_ms;
}

OpenedRing OpenRingSegment(const std::string& name, const void* scope, const TrustOptions& trust) {
  std::string segment = SegmentNameFor(name);
  std::string kind;
  int fd = OpenRingFile(segment, O_RDWR, &kind);
  if (fd < 0) {
    int err = errno;
    if (!kind.empty())
      throw RingError("RING_INVALID", "/dev/shm/" + segment + " is " + KindWords(kind) + ", not a framering ring");
    if (err == ENOENT)
      throw RingError("RING_NOT_FOUND", "no ring named '" + name + "' (/dev/shm/" + segment +
                                            " does not exist); start its server first or check the name");
    throw RingError("SYSTEM", "cannot open /dev/shm/" + segment + ": " + SystemMessage(err));
  }
  auto fail = [&](const std::string& code, const std::string& msg) {
    close(fd);
    throw RingError(code, msg);
  };
  struct stat st;
  if (fstat(fd, &st) != 0) fail("SYSTEM", "cannot stat /dev/shm/" + segment + ": " + SystemMessage(errno));
  std::string untrusted = UntrustedWhy(st, trust);
  if (!untrusted.empty())
    fail("RING_UNTRUSTED", "/dev/shm/" + segment + " is not opened: " + untrusted +
                               ". Another local user could plant frames in it; if that user is trusted, open it with "
                               "{ allowForeign: true }");
  size_t file_bytes = static_cast<size_t>(st.st_size);
  RingHeader h;
  bool whole = file_bytes >= sizeof(RingHeader) && ReadHeader(fd, &h);
  if (!whole || h.magic != kRingMagic) {
    // A creator that could not use O_TMPFILE holds the writer lock while it fills the file in: wait for it.
    if (ProbeByte(fd, kWriterLockByte) == LockProbe::Held)
      fail("RING_NOT_FOUND", "ring '" + name + "' is still being created; try again in a moment");
    fail("RING_INVALID", "/dev/shm/" + segment + " is not a usable ring: " +
                             (whole ? "its header has no framering magic (a foreign or half-created file)"
                                    : "it is " + std::to_string(file_bytes) +
                                          " bytes, smaller than a ring header (truncated or not a framering ring)"));
  }
  RingGeometry g;
  std::string problem = ValidateHeader(h, file_bytes, &g);
  if (!problem.empty()) fail("RING_INVALID", "/dev/shm/" + segment + " is not a usable ring: " + problem);
  if (Mapping* mine = FindMapping(scope, st)) {  // already mapped here: shared, if it still is the same ring
    if (!SameGeometry(mine->geometry, g)) {
      mine->Unref();
      fail("RING_INVALID", "/dev/shm/" + segment + " is not a usable ring: its header changed after it was opened");
    }
    return {mine, fd};
  }
  Mapping* m = nullptr;
  try {
    m = MapFd(fd, SegmentBytesFor(g), g, segment, false);
  } catch (const RingError& e) {
    fail(e.code, e.what());
  }
  RegisterMapping(m, scope, st);
  return {m, fd};
}

SegmentInfo InspectSegment(const std::string& segment_name) {
  SegmentInfo info;
  std::string kind;
  int fd = OpenRingFile(segment_name, O_RDONLY, &kind);
  if (fd < 0) {
    int err = errno;
    info.kind = kind.empty() ? "ring" : kind;
    info.problem = kind.empty() ? SystemMessage(err) : KindWords(kind) + ", not a framering ring";
    info.writer_alive = kind.empty();  // a ring file we cannot open (another user's, EMFILE): can't tell = alive
    struct stat lst;
    if (lstat(PathOf(segment_name).c_str(), &lst) == 0) {
      info.age_ms = AgeMs(lst);
      info.uid = lst.st_uid;
      info.mode = lst.st_mode & 07777;
    }
    return info;
  }
  info.kind = "ring";
  struct stat st;
  fstat(fd, &st);
  info.bytes = static_cast<uint64_t>(st.st_size);
  info.age_ms = AgeMs(st);
  info.uid = st.st_uid;
  info.mode = st.st_mode & 07777;
  RingHeader h;
  if (info.bytes < sizeof(RingHeader) || !ReadHeader(fd, &h)) {
    info.problem = "it is " + std::to_string(info.bytes) +
                   " bytes, smaller than a ring header (truncated or not a framering ring)";
    info.writer_alive = ProbeByte(fd, kWriterLockByte) == LockProbe::Held;  // a creator filling it in
    close(fd);
    return info;
  }
  // Owner fields sit at fixed offsets in every layout version, so even a version mismatch shows who owns it.
  if (h.magic == kRingMagic) {
    info.version = h.version;
    info.writer_pid = h.writer_pid;
    info.writer_alive = WriterAlive(fd, h);
    info.closed = h.closed != 0;
  } else {
    info.writer_alive = ProbeByte(fd, kWriterLockByte) == LockProbe::Held;
  }
  RingGeometry g;
  info.problem = h.magic != kRingMagic ? "its header has no framering magic (a foreign or half-created file)"
                 : h.version != kLayoutVersion ? "layout version " + std::to_string(h.version)
                                               : ValidateHeader(h, info.bytes, &g);
  info.valid = info.problem.empty();
  if (info.valid) {
    info.format = h.format;
    info.slot_count = h.slot_count;
    info.width = h.width;
    info.height = h.height;
    for (uint32_t r = 0; r < kMaxReaders; r++)
      if (h.readers[r].in_use && HeldOrUnknown(fd, kReaderLockByte + r)) info.readers++;
  }
  close(fd);
  return info;
}

bool RemoveStaleSegment(const std::string& segment_name, bool force, std::string* why) {
  std::string kind;
  int fd = OpenRingFile(segment_name, O_RDWR, &kind);
  if (fd < 0) {
    int err = errno;
    *why = !kind.empty() ? KindWords(kind) + ", not a framering ring: left alone"
                         : "cannot open it: " + SystemMessage(err);
    return false;
  }
  struct stat st;
  fstat(fd, &st);
  RingHeader h;
  bool has_header = ReadHeader(fd, &h) && h.magic == kRingMagic;
  bool removed = false;
  if (force) {
    removed = UnlinkSegmentIf(segment_name, st.st_dev, st.st_ino);
    if (!removed) *why = "it was replaced or removed by another process meanwhile";
  } else if (!TryLockByte(fd, kWriterLockByte)) {
    *why = "its writer is alive (or it is being created or replaced right now)";
  } else if (has_header && h.version == 1 && ProcessAlive(h.writer_pid, h.writer_start_time)) {
    *why = "its writer (pid " + std::to_string(h.writer_pid) + ", layout 1) is alive";
  } else {
    removed = UnlinkSegmentIf(segment_name, st.st_dev, st.st_ino);
    if (!removed) *why = "it was replaced or removed by another process meanwhile";
  }
  close(fd);
  return removed;
}

bool UnlinkSegmentIf(const std::string& segment_name, dev_t dev, ino_t ino) {
  struct stat st;
  std::string path = PathOf(segment_name);
  if (lstat(path.c_str(), &st) != 0 || st.st_dev != dev || st.st_ino != ino) return false;
  return unlink(path.c_str()) == 0;
}

}  // namespace framering
