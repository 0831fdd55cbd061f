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

#include "process_identity.h"
#include "ring_error.h"

namespace framering {

std::string SystemMessage(int err) { return std::string(strerror(err)); }

namespace {
std::mutex registry_mutex;
std::map<std::tuple<const void*, dev_t, ino_t>, Mapping*> registry;  // the mappings this process has, by file
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

constexpr uint64_t kMaxRingBytes = 1ull << 40;  // 1 TiB: anything larger is a unit mistake or a corrupt header

static size_t MetaBytesFor(uint32_t slot_count) { return sizeof(RingHeader) + sizeof(SlotMeta) * slot_count; }

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
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&h->lock, &attr);
  pthread_mutexattr_destroy(&attr);
  // Magic last: a reader that sees it sees a complete header.
  __atomic_store_n(&h->magic, kRingMagic, __ATOMIC_RELEASE);
}

static Mapping* MapFd(int fd, size_t length, const std::string& segment) {
  void* addr = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
  if (addr == MAP_FAILED) {
    int err = errno;
    throw RingError("SYSTEM", "cannot map /dev/shm/" + segment + ": " + SystemMessage(err));
  }
  auto* m = new Mapping();
  m->addr = addr;
  m->length = length;
  return m;
}

// Decides whether an existing segment of the name we want may be replaced.
static void ReplaceIfStale(const std::string& segment) {
  SegmentInfo info = InspectSegment(segment);
  if (info.valid && info.writer_alive && !info.closed)
    throw RingError("RING_EXISTS", "ring /dev/shm/" + segment + " is already served by live process " +
                                       std::to_string(info.writer_pid) +
                                       "; stop that process or choose another ring name");
  if (!info.valid && info.age_ms < 2000)
    throw RingError("RING_EXISTS", "ring /dev/shm/" + segment +
                                       " is being created by another process right now; choose another ring name");
  shm_unlink(("/" + segment).c_str());
}

Mapping* CreateRingSegment(const std::string& name, const RingGeometry& g, mode_t mode, const void* scope) {
  std::string segment = SegmentNameFor(name);
  CheckGeometry(g);
  size_t total = SegmentBytesFor(g);

  struct statvfs vfs;
  if (statvfs("/dev/shm", &vfs) == 0) {
    uint64_t avail = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
    if (total > avail)
      throw RingError("NO_SPACE", "ring '" + name + "' needs " + std::to_string(total >> 20) + " MiB but /dev/shm has " +
                                      std::to_string(avail >> 20) +
                                      " MiB free; use fewer slots or smaller frames, remove dead rings with "
                                      "`npm run cleanup`, or enlarge /dev/shm (Docker: --shm-size)");
  }

  int fd = -1;
  for (int attempt = 0; attempt < 2 && fd < 0; attempt++) {
    fd = shm_open(("/" + segment).c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, mode);
    if (fd < 0 && errno == EEXIST && attempt == 0) {
      ReplaceIfStale(segment);
      continue;
    }
    if (fd < 0) {
      int err = errno;
      throw RingError(err == EEXIST ? "RING_EXISTS" : "SYSTEM",
                      "cannot create /dev/shm/" + segment + ": " + SystemMessage(err));
    }
  }
  fchmod(fd, mode);  // shm_open's mode is filtered by the umask; the caller's choice wins
  auto fail = [&](const std::string& code, const std::string& msg) {
    close(fd);
    shm_unlink(("/" + segment).c_str());
    throw RingError(code, msg);
  };
  if (ftruncate(fd, static_cast<off_t>(total)) != 0) fail("SYSTEM", "cannot size /dev/shm/" + segment + ": " + SystemMessage(errno));
  // Reserve the pages now: a full /dev/shm is an error here, not a SIGBUS at the first frame.
  int rc = posix_fallocate(fd, 0, static_cast<off_t>(total));
  if (rc != 0)
    fail(rc == ENOSPC ? "NO_SPACE" : "SYSTEM",
         "cannot reserve " + std::to_string(total >> 20) + " MiB for ring '" + name + "' in /dev/shm: " +
             SystemMessage(rc) + "; free space with `npm run cleanup` or enlarge /dev/shm (Docker: --shm-size)");
  Mapping* m = nullptr;
  try {
    m = MapFd(fd, total, segment);
  } catch (const RingError& e) {
    fail(e.code, e.what());
  }
  struct stat st;
  fstat(fd, &st);
  close(fd);
  InitialiseHeader(static_cast<RingHeader*>(m->addr), g, total);
  RegisterMapping(m, scope, st);
  return m;
}

static std::string ValidateHeader(const RingHeader* h, size_t file_bytes) {
  if (file_bytes < sizeof(RingHeader)) return "it is " + std::to_string(file_bytes) + " bytes, smaller than a ring header (truncated or not a framering ring)";
  if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != kRingMagic) return "its header has no framering magic (a foreign or half-created file)";
  if (h->version != kLayoutVersion)
    return "its layout version is " + std::to_string(h->version) + " but this framering reads version " +
           std::to_string(kLayoutVersion) + " (writer and reader run different framering versions)";
  if (h->header_bytes != sizeof(RingHeader)) return "its header size does not match this build";
  if (h->slot_count < 2 || h->slot_count > kMaxSlots || h->slot_bytes == 0 || h->slot_bytes > kMaxRingBytes / h->slot_count)
    return "its geometry is corrupt";
  RingGeometry g;
  g.slot_count = h->slot_count;
  g.slot_bytes = h->slot_bytes;
  size_t expected = SegmentBytesFor(g);
  if (h->total_bytes != expected || h->payload_offset != AlignUp(MetaBytesFor(h->slot_count), kPayloadAlign) ||
      h->slot_stride != AlignUp(h->slot_bytes, kPayloadAlign))
    return "its geometry does not add up";
  if (file_bytes < expected)
    return "it is " + std::to_string(file_bytes) + " bytes but its geometry needs " + std::to_string(expected) + " (truncated)";
  if (h->format != static_cast<uint32_t>(RingFormat::Rgb24) && h->format != static_cast<uint32_t>(RingFormat::Data))
    return "its format is unknown";
  return "";
}

Mapping* OpenRingSegment(const std::string& name, const void* scope) {
  std::string segment = SegmentNameFor(name);
  int fd = shm_open(("/" + segment).c_str(), O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT)
      throw RingError("RING_NOT_FOUND", "no ring named '" + name + "' (/dev/shm/" + segment +
                                            " does not exist); start its server first or check the name");
    throw RingError("SYSTEM", "cannot open /dev/shm/" + segment + ": " + SystemMessage(err));
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    throw RingError("SYSTEM", "cannot stat /dev/shm/" + segment + ": " + SystemMessage(err));
  }
  if (Mapping* mine = FindMapping(scope, st)) {  // already mapped here: shared, but checked again (it may have changed)
    close(fd);
    std::string problem = ValidateHeader(static_cast<RingHeader*>(mine->addr), mine->length);
    if (!problem.empty()) {
      mine->Unref();
      throw RingError("RING_INVALID", "/dev/shm/" + segment + " is not a usable ring: " + problem);
    }
    return mine;
  }
  size_t file_bytes = static_cast<size_t>(st.st_size);
  // A server creates the file, then sizes and fills it: a young file without a header is a ring being created, which a
  // reader waiting for the ring must wait for, not reject.
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  bool young = now.tv_sec - st.st_mtim.tv_sec < 2;
  auto not_yet = [&]() {
    return RingError("RING_NOT_FOUND", "ring '" + name + "' is still being created; try again in a moment");
  };
  if (file_bytes < sizeof(RingHeader)) {
    close(fd);
    if (young) throw not_yet();
    throw RingError("RING_INVALID", "/dev/shm/" + segment + " is not a usable ring: " + ValidateHeader(nullptr, file_bytes));
  }
  Mapping* m;
  try {
    m = MapFd(fd, file_bytes, segment);
  } catch (...) {
    close(fd);
    throw;
  }
  close(fd);
  const auto* header = static_cast<RingHeader*>(m->addr);
  bool has_magic = __atomic_load_n(&header->magic, __ATOMIC_ACQUIRE) == kRingMagic;
  std::string problem = ValidateHeader(header, file_bytes);
  if (!problem.empty()) {
    m->Unref();
    if (!has_magic && young) throw not_yet();
    throw RingError("RING_INVALID", "/dev/shm/" + segment + " is not a usable ring: " + problem);
  }
  RegisterMapping(m, scope, st);
  return m;
}

SegmentInfo InspectSegment(const std::string& segment_name) {
  SegmentInfo info;
  int fd = shm_open(("/" + segment_name).c_str(), O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) {
    info.problem = SystemMessage(errno);
    return info;
  }
  struct stat st;
  fstat(fd, &st);
  info.bytes = static_cast<uint64_t>(st.st_size);
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  int64_t age = (now.tv_sec - st.st_mtim.tv_sec) * 1000 + (now.tv_nsec - st.st_mtim.tv_nsec) / 1000000;
  info.age_ms = age > 0 ? static_cast<uint64_t>(age) : 0;
  if (info.bytes < sizeof(RingHeader)) {
    info.problem = ValidateHeader(nullptr, info.bytes);
    close(fd);
    return info;
  }
  void* addr = mmap(nullptr, sizeof(RingHeader), PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (addr == MAP_FAILED) {
    info.problem = SystemMessage(errno);
    return info;
  }
  const auto* h = static_cast<const RingHeader*>(addr);
  // Owner fields sit at fixed offsets in every layout version, so even a version mismatch shows who owns it.
  if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) == kRingMagic) {
    info.writer_pid = h->writer_pid;
    info.writer_alive = ProcessAlive(h->writer_pid, h->writer_start_time);
    info.closed = h->closed != 0;
  }
  if (info.bytes >= sizeof(RingHeader)) {
    // Validate the geometry against the file without trusting slot_count to stay within the small header mapping.
    std::string problem;
    if (h->magic != kRingMagic) problem = "its header has no framering magic (a foreign or half-created file)";
    else if (h->version != kLayoutVersion) problem = "layout version " + std::to_string(h->version);
    else {
      RingGeometry g;
      g.slot_count = h->slot_count;
      g.slot_bytes = h->slot_bytes;
      if (h->slot_count < 2 || h->slot_count > kMaxSlots || h->slot_bytes == 0 ||
          h->slot_bytes > kMaxRingBytes / h->slot_count || SegmentBytesFor(g) > info.bytes)
        problem = "its geometry does not match the file (truncated or corrupt)";
    }
    info.problem = problem;
    info.valid = problem.empty();
    if (info.valid) {
      info.format = h->format;
      info.slot_count = h->slot_count;
      info.width = h->width;
      info.height = h->height;
      for (uint32_t r = 0; r < kMaxReaders; r++)
        if (h->readers[r].in_use && ProcessAlive(h->readers[r].pid, h->readers[r].start_time)) info.readers++;
    }
  }
  munmap(addr, sizeof(RingHeader));
  return info;
}

bool UnlinkSegment(const std::string& segment_name) { return shm_unlink(("/" + segment_name).c_str()) == 0; }

bool UnlinkSegmentIf(const std::string& segment_name, dev_t dev, ino_t ino) {
  struct stat st;
  std::string path = "/dev/shm/" + segment_name;
  if (stat(path.c_str(), &st) != 0 || st.st_dev != dev || st.st_ino != ino) return false;
  return UnlinkSegment(segment_name);
}

}  // namespace framering
