#include "ring_server.h"

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "napi_helpers.h"
#include "ring_pump.h"

namespace framering {

Napi::Function RingServer::Init(Napi::Env env) {
  return DefineClass(env, "RingServer",
                     {InstanceMethod("buffer", &RingServer::Buffer), InstanceMethod("layout", &RingServer::Layout),
                      InstanceMethod("lend", &RingServer::Lend), InstanceMethod("commit", &RingServer::Commit),
                      InstanceMethod("abandon", &RingServer::Abandon), InstanceMethod("write", &RingServer::Write),
                      InstanceMethod("stats", &RingServer::Stats), InstanceMethod("close", &RingServer::Close),
                      InstanceMethod("reclaimDeadReaders", &RingServer::ReclaimDeadReaders)});
}

// new RingServer({ name, slots, slotBytes, width, height, format: 'rgb24'|'data', blocking, blockingTimeoutMs, mode })
RingServer::RingServer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RingServer>(info) {
  Napi::Env env = info.Env();
  Napi::Object opts = OptionsArg(info, 0);
  name_ = StringOption(opts, "name");
  RingGeometry g;
  g.slot_count = static_cast<uint32_t>(NumberOption(opts, "slots", 8, 2, kMaxSlots));
  g.slot_bytes = static_cast<uint64_t>(NumberOption(opts, "slotBytes", 0, 1, 1099511627776.0));
  g.width = static_cast<uint32_t>(NumberOption(opts, "width", 0, 0, kMaxDimension));
  g.height = static_cast<uint32_t>(NumberOption(opts, "height", 0, 0, kMaxDimension));
  std::string format = opts.Has("format") ? StringOption(opts, "format") : "rgb24";
  g.format = RingFormat::Rgb24;
  bool known = false;
  for (uint32_t f = 1; KnownFormat(f); f++) {
    if (format == FormatName(f)) {
      g.format = static_cast<RingFormat>(f);
      known = true;
    }
  }
  if (!known)
    throw MakeError(env, "INVALID_ARGUMENT",
                    "format must be 'rgb24', 'bgr24', 'gray8' or 'data', got '" + format + "'");
  if (BoolOption(opts, "blocking", false)) g.flags |= kFlagBlocking;
  g.blocking_timeout_ms = static_cast<uint32_t>(NumberOption(opts, "blockingTimeoutMs", 1000, 0, 3600000));
  mode_t mode = static_cast<mode_t>(NumberOption(opts, "mode", 0600, 0, 0777));
  if ((mode & 0600) != 0600)
    throw MakeError(env, "INVALID_ARGUMENT", "mode must give the owner read and write (0o600 at least)");
  try {
    OpenedRing ring = CreateRingSegment(name_, g, mode, static_cast<napi_env>(env));
    mapping_ = ring.mapping;
    lock_fd_ = ring.fd;
  } catch (const RingError& e) {
    throw MakeError(env, e);
  }
  core_ = std::make_unique<RingCore>(mapping_, lock_fd_);
  core_->EnableDoorbells();
  env_hook_.Add(env, RunCleanup<RingServer, &RingServer::TeardownForEnv>, this);
}

RingServer::~RingServer() {
  // Reached only when JavaScript dropped an open server without close(): still stop the threads and unlink, and
  // detach, or a later open of the same mapping would put a second ArrayBuffer over memory our views still reach.
  if (!closed_) {
    if (has_buffer_) ReleaseBuffer(Env(), mapping_, true);
    Release(true);
  }
}

// A worker terminated (or the main thread exiting) with the ring open: its pumps must be joined before Node deletes
// their thread-safe functions, and the segment unlinked, since the process, and so the writer, may live on.
void RingServer::TeardownForEnv() {
  env_hook_.Ran();
  if (closed_) return;
  if (has_buffer_) {
    has_buffer_ = false;
    ReleaseBuffer(Env(), mapping_, false);  // no JavaScript runs any more: nothing to detach for
  }
  lent_.clear();
  Release(true);
}

void RingServer::AttachPump(RingPump* pump) {
  std::lock_guard<std::mutex> lock(pumps_mutex_);
  pumps_.insert(pump);
}

void RingServer::DetachPump(RingPump* pump) {
  std::lock_guard<std::mutex> lock(pumps_mutex_);
  pumps_.erase(pump);
}

void RingServer::StopPumps() {
  std::vector<RingPump*> pumps;
  {
    std::lock_guard<std::mutex> lock(pumps_mutex_);
    pumps.assign(pumps_.begin(), pumps_.end());
  }
  for (RingPump* p : pumps) p->StopThread();  // joins: no native thread touches the mapping after this
}

void RingServer::Release(bool unlink) {
  closed_ = true;
  env_hook_.Remove();
  StopPumps();
  core_->MarkClosed();
  // By name, but only while the name is still our file: a ring another process created under it after ours was
  // replaced is theirs.
  if (unlink) UnlinkSegmentIf(SegmentNameFor(name_), mapping_->dev, mapping_->ino);
  core_.reset();
  close(lock_fd_);  // drops the writer's liveness lock: from here on the ring has no writer
  lock_fd_ = -1;
  mapping_->Unref();
  mapping_ = nullptr;
}

void RingServer::CheckOpen(Napi::Env env) {
  if (closed_) throw MakeError(env, "CLOSED", "ring '" + name_ + "' is closed");
}

int32_t RingServer::SlotArg(const Napi::CallbackInfo& info, size_t i) {
  int32_t index = info.Length() > i && info[i].IsNumber() ? info[i].As<Napi::Number>().Int32Value() : -1;
  if (!lent_.count(index))
    throw MakeError(info.Env(), "INVALID_ARGUMENT",
                    "slot " + std::to_string(index) + " is not lent out by ring '" + name_ + "'");
  return index;
}

CommitMeta RingServer::MetaArg(const Napi::CallbackInfo& info, size_t i, uint64_t bytes) {
  CommitMeta m;
  m.bytes = bytes;
  m.width = core_->geometry().width;
  m.height = core_->geometry().height;
  if (info.Length() > i && info[i].IsObject()) {
    Napi::Object o = info[i].As<Napi::Object>();
    m.slot_id = static_cast<uint32_t>(NumberOption(o, "slotId", 0, 0, 4294967295.0));
    m.timestamp_us = static_cast<uint64_t>(NumberOption(o, "timestampUs", 0, 0, 9007199254740991.0));
    m.frame_number = static_cast<int64_t>(NumberOption(o, "frameNumber", -1, -1, 9007199254740991.0));
    m.restarts = static_cast<uint32_t>(NumberOption(o, "restarts", 0, 0, 4294967295.0));
    // Camera time may be negative (a stream's first frames before its zero); absent or null: unknown.
    if (o.Has("ptsUs") && !o.Get("ptsUs").IsNull() && !o.Get("ptsUs").IsUndefined())
      m.pts_us = static_cast<int64_t>(NumberOption(o, "ptsUs", 0, -9007199254740991.0, 9007199254740991.0));
  }
  return m;
}

Napi::Value RingServer::Buffer(const Napi::CallbackInfo& info) {
  CheckOpen(info.Env());
  if (has_buffer_) return CurrentBuffer(info.Env(), mapping_);
  has_buffer_ = true;
  return AcquireBuffer(info.Env(), mapping_);
}

Napi::Value RingServer::Layout(const Napi::CallbackInfo& info) {
  CheckOpen(info.Env());
  return LayoutObject(info.Env(), *core_);
}

// lend() → slot index, or -1 when no slot is free (non-blocking ring) or none freed up in time (blocking ring).
Napi::Value RingServer::Lend(const Napi::CallbackInfo& info) {
  CheckOpen(info.Env());
  // A lent slot is the writer's until commit() or abandon(): never let forgotten lends take the whole ring.
  if (lent_.size() + 1 >= core_->slot_count())
    throw MakeError(info.Env(), "INVALID_ARGUMENT",
                    "ring '" + name_ + "' has " + std::to_string(lent_.size()) +
                        " slots lent and not committed; commit() or abandon() them before lending more");
  int32_t index = core_->Lend(SyncWaitMs());
  if (index >= 0) lent_.insert(index);
  return Napi::Number::New(info.Env(), index);
}

// commit(index, bytes, meta?) → seq
Napi::Value RingServer::Commit(const Napi::CallbackInfo& info) {
  CheckOpen(info.Env());
  int32_t index = SlotArg(info, 0);
  uint64_t bytes;
  if (info.Length() > 1 && info[1].IsNumber()) {
    double b = info[1].As<Napi::Number>().DoubleValue();
    if (!std::isfinite(b) || b < 0 || b != std::floor(b))
      throw MakeError(info.Env(), "INVALID_ARGUMENT", "commit() takes a whole number of bytes from 0 to " +
                                                          std::to_string(core_->slot_bytes()) + ", got " +
                                                          info[1].ToString().Utf8Value());
    if (b > static_cast<double>(core_->slot_bytes()))
      throw MakeError(info.Env(), "MESSAGE_TOO_LARGE",
                      "commit of " + std::to_string((long long)b) + " bytes into a slot of " +
                          std::to_string(core_->slot_bytes()) + " bytes");
    bytes = static_cast<uint64_t>(b);
  } else {
    bytes = core_->slot_bytes();
  }
  CommitMeta meta = MetaArg(info, 2, bytes);
  lent_.erase(index);
  return Napi::Number::New(info.Env(), static_cast<double>(core_->Commit(index, meta)));
}

Napi::Value RingServer::Abandon(const Napi::CallbackInfo& info) {
  CheckOpen(info.Env());
  int32_t index = SlotArg(info, 0);
  lent_.erase(index);
  core_->Abandon(index);
  return info.Env().Undefined();
}

// write(bytes: TypedArray, meta?, waitMs?) → seq, or -1 when no slot could be had. Copies into the slot: for pixels
// that already sit in a JavaScript buffer; a camera pump uses lend/commit on its own thread instead. On a blocking
// ring it waits at most waitMs (default: the ring's timeout, capped so the event loop is never held long); a wait of
// 0 counts no drop, so that writeAsync() can retry from a timer.
Napi::Value RingServer::Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  if (info.Length() < 1 || !info[0].IsTypedArray())
    throw MakeError(env, "INVALID_ARGUMENT", "write() takes a Uint8Array (or Buffer) of bytes");
  // Through napi directly: it also reads arrays backed by a SharedArrayBuffer (worker_threads users have them).
  size_t length = 0, offset = 0;
  void* data = nullptr;
  napi_value backing;
  napi_typedarray_type type;
  if (napi_get_typedarray_info(env, info[0], &type, &length, &data, &backing, &offset) != napi_ok)
    throw MakeError(env, "INVALID_ARGUMENT", "write() cannot read this array");
  length = info[0].As<Napi::TypedArray>().ByteLength();
  if (length > core_->slot_bytes())
    throw MakeError(env, "MESSAGE_TOO_LARGE", "write of " + std::to_string(length) + " bytes into ring '" + name_ +
                                                  "' whose slots hold " + std::to_string(core_->slot_bytes()) +
                                                  " bytes; nothing was written (create the ring with larger slots)");
  if (length > 0 && data == nullptr) throw MakeError(env, "INVALID_ARGUMENT", "write() got a detached array");
  CommitMeta meta = MetaArg(info, 1, length);
  int wait_ms = SyncWaitMs();
  bool count_drop = true;
  if (info.Length() > 2 && info[2].IsNumber()) {
    double w = info[2].As<Napi::Number>().DoubleValue();
    wait_ms = !(w > 0) ? 0 : w < wait_ms ? static_cast<int>(w) : wait_ms;
    count_drop = wait_ms > 0;
  }
  int32_t index = core_->Lend(wait_ms, count_drop);
  if (index < 0) return Napi::Number::New(env, -1);
  if (length > 0) memcpy(core_->payload(static_cast<uint32_t>(index)), data, length);
  return Napi::Number::New(env, static_cast<double>(core_->Commit(index, meta)));
}

// How long a call on the JavaScript thread may wait for a blocking ring's readers.
int RingServer::SyncWaitMs() const {
  uint32_t t = core_->geometry().blocking_timeout_ms;
  return static_cast<int>(t < kMaxSyncWaitMs ? t : kMaxSyncWaitMs);
}

// reclaimDeadReaders(): frees the entries and holds of readers that died, also while nothing is written.
Napi::Value RingServer::ReclaimDeadReaders(const Napi::CallbackInfo& info) {
  if (!closed_) core_->ReclaimDeadReaders(true);
  return info.Env().Undefined();
}

Napi::Value RingServer::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  RingHeader* h = core_->header();
  Napi::Object o = Napi::Object::New(env);
  o.Set("written", static_cast<double>(__atomic_load_n(&h->written, __ATOMIC_RELAXED)));
  o.Set("writerDrops", static_cast<double>(__atomic_load_n(&h->writer_drops, __ATOMIC_RELAXED)));
  Napi::Array readers = Napi::Array::New(env);
  uint32_t n = 0;
  for (uint32_t r = 0; r < kMaxReaders; r++) {
    const ReaderEntry& e = h->readers[r];
    if (!__atomic_load_n(&e.in_use, __ATOMIC_ACQUIRE)) continue;
    Napi::Object ro = Napi::Object::New(env);
    ro.Set("pid", e.pid);
    ro.Set("policy", e.policy == static_cast<uint32_t>(ReadPolicy::Every) ? "every" : "latest");
    ro.Set("delivered", static_cast<double>(e.delivered));
    ro.Set("dropped", static_cast<double>(e.dropped));
    ro.Set("held", e.held);
    readers.Set(n++, ro);
  }
  o.Set("readers", readers);
  return o;
}

Napi::Value RingServer::Close(const Napi::CallbackInfo& info) {
  if (closed_) return info.Env().Undefined();
  bool unlink = !(info.Length() > 0 && info[0].IsBoolean() && !info[0].As<Napi::Boolean>().Value());
  // Detach first: a view that outlives close() then reads as empty instead of touching unmapped memory.
  if (has_buffer_) {
    has_buffer_ = false;
    ReleaseBuffer(info.Env(), mapping_, true);
  }
  lent_.clear();
  Release(unlink);
  return info.Env().Undefined();
}

}  // namespace framering
