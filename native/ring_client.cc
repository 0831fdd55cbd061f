#include "ring_client.h"

#include <unistd.h>

#include <cmath>
#include <cstdlib>

#include "doorbell_hops.h"
#include "napi_helpers.h"
#include "termination_signal.h"
#include "uv_glue.h"

namespace framering {

namespace {

// Meta layout shared with RingClient.slotAt in src/shm/ring_client.ts.
// kPtsUs is NaN when the frame has no presentation time (kNoPts), so JavaScript can tell it from any real time.
enum MetaField {
  kSeq, kBytes, kTimestampUs, kFrameNumber, kWidth, kHeight, kSlotId, kDroppedBefore, kPtsUs, kRestarts, kFormat,
  kMetaFields
};

// What the waiter thread hands to the JavaScript thread.
struct Delivery {
  AcquiredSlot slot;
  bool gone = false;
  std::string why;
};

// Runs `body` from a libuv callback, where no JavaScript call is on the stack to take an exception: a C++ exception
// must not unwind through libuv's C frames (std::terminate). It becomes an uncaught JavaScript exception instead.
template <typename Body>
void RaiseFromLoop(Napi::Env env, Body body) {
  try {
    body();
  } catch (const Napi::Error& e) {
    napi_fatal_exception(env, e.Value());
  } catch (const std::exception& e) {
    Napi::HandleScope scope(env);
    napi_fatal_exception(env, Napi::Error::New(env, std::string("framering: ") + e.what()).Value());
  }
}

}  // namespace

Napi::Function RingClient::Init(Napi::Env env) {
  return DefineClass(env, "RingClient",
                     {InstanceMethod("buffer", &RingClient::Buffer),
                      InstanceMethod("metaArray", &RingClient::MetaArray),
                      InstanceMethod("layout", &RingClient::Layout),
                      InstanceMethod("tryAcquire", &RingClient::TryAcquire),
                      InstanceMethod("tryAcquireSlot", &RingClient::TryAcquireSlot),
                      InstanceMethod("pull", &RingClient::Pull),
                      InstanceMethod("release", &RingClient::Release), InstanceMethod("start", &RingClient::Start),
                      InstanceMethod("next", &RingClient::Next), InstanceMethod("stats", &RingClient::Stats),
                      InstanceMethod("writerStatus", &RingClient::WriterStatus),
                      InstanceMethod("wakeup", &RingClient::Wakeup),
                      InstanceMethod("close", &RingClient::Close), StaticMethod("hopStamps", &RingClient::HopStamps)});
}

// new RingClient({ name, policy: 'latest'|'every' })
RingClient::RingClient(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RingClient>(info) {
  Napi::Env env = info.Env();
  Napi::Object opts = OptionsArg(info, 0);
  name_ = StringOption(opts, "name");
  std::string policy =
      opts.Has("policy") && !opts.Get("policy").IsUndefined() ? StringOption(opts, "policy") : "latest";
  TrustOptions trust;
  trust.allow_foreign = BoolOption(opts, "allowForeign", false);
  if (policy != "latest" && policy != "every")
    throw MakeError(env, "INVALID_ARGUMENT", "policy must be 'latest' or 'every', got '" + policy + "'");
  std::string wakeup =
      opts.Has("wakeup") && !opts.Get("wakeup").IsUndefined() ? StringOption(opts, "wakeup") : "doorbell";
  if (wakeup != "doorbell" && wakeup != "thread")
    throw MakeError(env, "INVALID_ARGUMENT", "wakeup must be 'doorbell' or 'thread', got '" + wakeup + "'");
  prefer_doorbell_ = wakeup == "doorbell";
  try {
    OpenedRing ring = OpenRingSegment(name_, static_cast<napi_env>(env), trust);
    mapping_ = ring.mapping;
    lock_fd_ = ring.fd;
    core_ = std::make_unique<RingCore>(mapping_, lock_fd_);
    reader_ = core_->RegisterReader(policy == "every" ? ReadPolicy::Every : ReadPolicy::Latest);
  } catch (const RingError& e) {
    core_.reset();
    if (mapping_) mapping_->Unref();
    mapping_ = nullptr;
    if (lock_fd_ >= 0) close(lock_fd_);
    lock_fd_ = -1;
    throw MakeError(env, e);
  }
  env_hook_.Add(env, RunCleanup<RingClient, &RingClient::TeardownForEnv>, this);
}

RingClient::~RingClient() {
  // Garbage-collected while open: detach, or a later open of the same mapping would put a second ArrayBuffer over
  // memory the views of this one still reach.
  if (!closed_) {
    if (has_buffer_) ReleaseBuffer(Env(), mapping_, true);
    Shutdown();
  }
}

// Runs before Node deletes the thread-safe function and long before the finalizers: stop the waiter while both are
// still there, and free the table entry now (a terminated worker's process lives on, so nobody would reclaim it).
// No JavaScript runs any more, so the buffer is let go without detaching.
void RingClient::TeardownForEnv() {
  env_hook_.Ran();
  if (closed_) return;
  if (has_buffer_) {
    has_buffer_ = false;
    ReleaseBuffer(Env(), mapping_, false);
  }
  Shutdown();
}

void RingClient::CheckOpen(Napi::Env env) {
  if (closed_) throw MakeError(env, "CLOSED", "reader of ring '" + name_ + "' is closed");
}

// metaArray() → the Float64Array every take of a frame writes its meta into (MetaField order), made once.
Napi::Value RingClient::MetaArray(const Napi::CallbackInfo& info) {
  CheckOpen(info.Env());
  if (meta_ref_.IsEmpty()) {
    Napi::Float64Array meta = Napi::Float64Array::New(info.Env(), kMetaFields);  // off-heap: its data never moves
    meta_ref_ = Napi::Persistent(meta);
    meta_ = meta.Data();
  }
  return meta_ref_.Value();
}

Napi::Value RingClient::Buffer(const Napi::CallbackInfo& info) {
  CheckOpen(info.Env());
  if (has_buffer_) return CurrentBuffer(info.Env(), mapping_);
  has_buffer_ = true;
  return AcquireBuffer(info.Env(), mapping_);
}

Napi::Value RingClient::Layout(const Napi::CallbackInfo& info) {
  CheckOpen(info.Env());
  return LayoutObject(info.Env(), *core_);
}

int32_t RingClient::Handed(const AcquiredSlot& slot) {
  held_.insert(slot.index);
  meta_[kSeq] = static_cast<double>(slot.seq);
  meta_[kBytes] = static_cast<double>(slot.meta.bytes);
  meta_[kTimestampUs] = static_cast<double>(slot.meta.timestamp_us);
  meta_[kFrameNumber] = static_cast<double>(slot.meta.frame_number);
  meta_[kWidth] = slot.meta.width;
  meta_[kHeight] = slot.meta.height;
  meta_[kSlotId] = slot.meta.slot_id;
  meta_[kDroppedBefore] = static_cast<double>(slot.dropped_before);
  meta_[kPtsUs] = slot.meta.pts_us == kNoPts ? std::nan("") : static_cast<double>(slot.meta.pts_us);
  meta_[kRestarts] = slot.meta.restarts;
  meta_[kFormat] = slot.meta.format;
  if (delivering_) in_delivery_ = true;
  PushLookBack();
  return slot.index;
}

Napi::Value RingClient::TryAcquire(const Napi::CallbackInfo& info) {
  CheckOpen(info.Env());
  if (!meta_) throw MakeError(info.Env(), "INVALID_ARGUMENT", "call metaArray() before taking frames");
  AcquiredSlot slot;
  if (!core_->TryAcquire(&slot)) return Napi::Number::New(info.Env(), -1);
  return Napi::Number::New(info.Env(), Handed(slot));
}

// tryAcquireSlot(index, seq) → index, its meta in the array, or -1 when that slot no longer holds frame `seq`.
Napi::Value RingClient::TryAcquireSlot(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  if (!meta_) throw MakeError(env, "INVALID_ARGUMENT", "call metaArray() before taking frames");
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber())
    throw MakeError(env, "INVALID_ARGUMENT", "tryAcquireSlot(index, seq) takes two numbers");
  double index = info[0].As<Napi::Number>().DoubleValue();
  double seq = info[1].As<Napi::Number>().DoubleValue();
  // Whole numbers in range only: a reference is data from another process.
  if (!(index >= 0) || index != std::floor(index) || !(seq >= 1) || seq != std::floor(seq) || seq > 9007199254740991.0)
    return Napi::Number::New(env, -1);
  if (index >= core_->slot_count()) return Napi::Number::New(env, -1);
  uint32_t i = static_cast<uint32_t>(index);
  if (held_.count(static_cast<int32_t>(i))) return Napi::Number::New(env, -1);  // held by this client already
  AcquiredSlot slot;
  if (!core_->TryAcquireSlot(i, static_cast<uint64_t>(seq), &slot)) return Napi::Number::New(env, -1);
  return Napi::Number::New(env, Handed(slot));
}

// pull(timeoutMs) → slot index (meta in the array) or -1 on timeout; throws WRITER_GONE, or INTERRUPTED when SIGTERM,
// SIGINT or SIGHUP arrives meanwhile (so that Node can run its handler). Blocks this thread, by request.
Napi::Value RingClient::Pull(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  if (delivering_)
    throw MakeError(env, "INVALID_ARGUMENT", "pull() cannot be used while frames are delivered to a handler");
  if (!meta_) throw MakeError(env, "INVALID_ARGUMENT", "call metaArray() before taking frames");
  double asked = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0;
  // Int32 would turn Infinity or 3e9 into 0: clamp instead (24 days is forever enough for a frame).
  int timeout = !(asked > 0) ? 0 : asked >= 2147483647.0 ? 2147483647 : static_cast<int>(asked);
  AcquiredSlot slot;
  WaitResult r = core_->WaitAcquire(timeout, TerminationSignalFlag(), &slot);
  if (r == WaitResult::Ready) return Napi::Number::New(env, Handed(slot));
  if (r == WaitResult::Stopped)
    throw MakeError(env, "INTERRUPTED", "pull() on ring '" + name_ + "' was interrupted by a termination signal");
  if (r == WaitResult::WriterGone) {
    std::string why;
    core_->WriterGone(&why);
    throw MakeError(env, "WRITER_GONE", "ring '" + name_ + "': " + why);
  }
  return Napi::Number::New(env, -1);
}

Napi::Value RingClient::Release(const Napi::CallbackInfo& info) {
  if (closed_) return info.Env().Undefined();  // releasing after close is harmless: close released everything
  int32_t index = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : -1;
  if (!held_.erase(index)) return info.Env().Undefined();  // already released: idempotent
  core_->Release(index);
  return info.Env().Undefined();
}

// start(callback): callback(index) for each frame (its meta in the metaArray()), callback(-1, message) once when the
// writer is gone.
Napi::Value RingClient::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  if (delivering_) throw MakeError(env, "INVALID_ARGUMENT", "frames are already delivered to a handler");
  if (info.Length() < 1 || !info[0].IsFunction()) throw MakeError(env, "INVALID_ARGUMENT", "start() takes a callback");
  if (!meta_) throw MakeError(env, "INVALID_ARGUMENT", "call metaArray() before taking frames");
  // The look first: without it a reader on a doorbell would never learn that its writer died.
  if (!StartLook(env)) throw MakeError(env, "SYSTEM", "could not start the liveness timer of ring '" + name_ + "'");
  handler_ = Napi::Persistent(info[0].As<Napi::Function>());
  delivering_ = true;
  if (!(prefer_doorbell_ && StartDoorbell(env))) StartWaiter(env, true);
  PushLookBack();
  return env.Undefined();
}

// wakeup() → 'doorbell' or 'thread': how frames reach the handler now.
Napi::Value RingClient::Wakeup(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), poll_ ? "doorbell" : "thread");
}

// with_credit: JavaScript waits for a frame now. Otherwise a delivery is in progress, and its next() gives the credit:
// the waiter and the JavaScript thread must never take frames at the same time.
void RingClient::StartWaiter(Napi::Env env, bool with_credit) {
  deliver_ = Napi::ThreadSafeFunction::New(env, handler_.Value(), "framering-reader", 0, 1);
  stop_ = false;
  credit_ = with_credit;
  waiter_ = std::thread(&RingClient::WaiterLoop, this);
}

bool RingClient::StartDoorbell(Napi::Env env) {
  auto bell = std::make_unique<DoorbellReceiver>(mapping_->dev, mapping_->ino, core_->token());
  uv_loop_s* loop = nullptr;
  if (bell->fd() < 0 || napi_get_uv_event_loop(env, &loop) != napi_ok || !loop) return false;
  void* poll = calloc(1, uv_handle_size(kUvPollHandle));
  if (!poll) return false;
  if (uv_poll_init(loop, static_cast<uv_poll_s*>(poll), bell->fd()) != 0) {
    free(poll);
    return false;
  }
  UvHandleData(poll) = this;
  if (uv_poll_start(static_cast<uv_poll_s*>(poll), kUvReadable, &RingClient::OnPoll) != 0) {
    uv_close(static_cast<uv_handle_s*>(poll), [](uv_handle_s* h) { free(h); });
    return false;
  }
  poll_ = poll;
  doorbell_ = std::move(bell);
  sleeping_ = true;       // JavaScript waits for its first frame…
  doorbell_->RingSelf();  // …which is looked for on the event loop, as with the waiter thread
  return true;
}

void RingClient::StopDoorbell() {
  if (!poll_) return;
  core_->DisarmDoorbell();
  uv_poll_stop(static_cast<uv_poll_s*>(poll_));
  UvHandleData(poll_) = nullptr;
  uv_close(static_cast<uv_handle_s*>(poll_), [](uv_handle_s* h) { free(h); });
  poll_ = nullptr;
  doorbell_.reset();  // after the poll stopped: closes the socket
}

void RingClient::OnPoll(uv_poll_s* handle, int status, int events) {
  hops::Mark(hops::kPoll);
  auto* self = static_cast<RingClient*>(UvHandleData(handle));
  if (!self) return;
  if (status < 0) {  // the poll failed (libuv stopped it): the waiter thread takes over
    Napi::Env env = self->Env();
    RaiseFromLoop(env, [self, env] {
      Napi::HandleScope scope(env);
      bool waiting = self->sleeping_;
      self->StopDoorbell();
      self->StartWaiter(env, waiting);
    });
    return;
  }
  self->OnDoorbell();
}

// The event loop woke on our doorbell (or our own ring): take a frame, or report the writer gone, or arm again.
void RingClient::OnDoorbell() {
  if (closed_ || !doorbell_) return;
  doorbell_->Drain();
  hops::Mark(hops::kDrained);
  // Only a reader whose JavaScript waits takes a frame here: a ring that arrives while a delivery is in progress (an
  // armed bit left from a take that succeeded after all, a stray datagram) must not start a second one.
  if (!sleeping_) return;
  sleeping_ = false;
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  AcquiredSlot slot;
  if (core_->TryAcquire(&slot)) return Deliver(env, Handed(slot), "");
  std::string why;
  if (core_->WriterGone(&why)) return Deliver(env, -1, why);
  core_->ArmDoorbell();
  // A frame published between the look above and the arm: take it now, and disarm.
  if (core_->TryAcquire(&slot)) {
    core_->DisarmDoorbell();
    return Deliver(env, Handed(slot), "");
  }
  sleeping_ = true;
}

void RingClient::Deliver(Napi::Env env, int32_t index, const std::string& gone_why) {
  if (index < 0) {
    if (gone_reported_) return;
    gone_reported_ = true;
    StopLook();
    // Nothing more will come: a reader left open must not keep the process alive (a parked waiter thread's
    // thread-safe function would, when the look reported the end first).
    if (poll_) uv_unref(static_cast<uv_handle_s*>(poll_));
    else if (waiter_.joinable()) deliver_.Unref(env);
  }
  hops::Mark(hops::kCall);
  try {
    if (index >= 0)
      handler_.MakeCallback(env.Global(), {Napi::Number::New(env, index)});
    else
      handler_.MakeCallback(env.Global(),
                            {Napi::Number::New(env, -1), Napi::String::New(env, "ring '" + name_ + "': " + gone_why)});
  } catch (const Napi::Error& e) {
    napi_fatal_exception(env, e.Value());  // as an exception in any event-loop callback: 'uncaughtException'
  }
}

void RingClient::WaiterLoop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(credit_mutex_);
      credit_cv_.wait(lock, [this] { return credit_ || stop_.load(); });
      if (stop_) return;
      credit_ = false;
    }
    auto* d = new Delivery();
    WaitResult r = core_->WaitAcquire(-1, &stop_, &d->slot);
    if (r == WaitResult::Stopped) {
      delete d;
      return;
    }
    if (r == WaitResult::WriterGone) {
      d->gone = true;
      core_->WriterGone(&d->why);
    }
    bool gone = d->gone;
    if (stop_) {  // stopping (close or environment teardown): nobody will take the frame
      if (!gone) core_->Release(d->slot.index);
      delete d;
      return;
    }
    napi_status s = deliver_.NonBlockingCall(d, [this](Napi::Env env, Napi::Function cb, Delivery* d) {
      std::unique_ptr<Delivery> owned(d);
      if (closed_) return;  // delivered after close(): close released every hold already
      if (d->gone) {
        deliver_.Unref(env);  // nothing more will come: a reader left open must not keep the process alive
        if (gone_reported_) return;  // the liveness look reported it first
        gone_reported_ = true;
        StopLook();
        cb.Call({Napi::Number::New(env, -1), Napi::String::New(env, "ring '" + name_ + "': " + d->why)});
      } else {
        cb.Call({Napi::Number::New(env, Handed(d->slot))});
      }
    });
    // napi_closing: the environment is being torn down and the call was refused; the frame goes back.
    if (s != napi_ok) {
      if (!gone) core_->Release(d->slot.index);
      delete d;
      return;
    }
    if (gone) return;
  }
}

// next(takeHere = true) → the index of a frame taken right here (meta in the array), or -1 after handing the wait
// back to the waiter thread. Only called between deliveries, when the waiter is parked, so the two never acquire at
// once. next(false) always hands back: the caller yields to the event loop.
Napi::Value RingClient::Next(const Napi::CallbackInfo& info) {
  hops::Mark(hops::kNextEntry);
  in_delivery_ = false;  // the delivery before is done; a frame taken below starts the next one
  if (closed_ || !delivering_) return Napi::Number::New(info.Env(), -1);
  bool take_here = !(info.Length() > 0 && info[0].IsBoolean() && !info[0].As<Napi::Boolean>().Value());
  AcquiredSlot slot;
  if (take_here && core_->TryAcquire(&slot)) return Napi::Number::New(info.Env(), Handed(slot));
  if (poll_) {
    if (!take_here) {
      sleeping_ = true;
      doorbell_->RingSelf();  // yield: back on the next turn of the event loop
      return Napi::Number::New(info.Env(), -1);
    }
    core_->ArmDoorbell();
    if (core_->TryAcquire(&slot)) {
      core_->DisarmDoorbell();
      return Napi::Number::New(info.Env(), Handed(slot));
    }
    sleeping_ = true;
    hops::Mark(hops::kArmed);
    // WAIT-8: the ring close() sent may have been drained with an earlier frame's; the last frame is delivered, so
    // the end is reported now (on the next turn, by OnDoorbell), not by the liveness look periods later.
    if (core_->Closed()) doorbell_->RingSelf();
    return Napi::Number::New(info.Env(), -1);
  }
  {
    std::lock_guard<std::mutex> lock(credit_mutex_);
    credit_ = true;
  }
  credit_cv_.notify_one();
  return Napi::Number::New(info.Env(), -1);
}

void RingClient::StopWaiter() {
  if (!waiter_.joinable()) return;
  {
    // Under the mutex: the waiter checks stop_ under it, so the notify cannot fall between its check and its sleep.
    std::lock_guard<std::mutex> lock(credit_mutex_);
    stop_ = true;
  }
  credit_cv_.notify_one();
  core_->WakeAll();
  waiter_.join();
  // Abort, not Release: a delivery still queued is then dropped instead of running later against a client that may
  // be freed by then (its hold went with the reader entry).
  deliver_.Abort();
}

// RingClient.hopStamps() → the last doorbell delivery's stamps in this process (doorbell_hops.h), or null when
// FRAMERING_HOPS=1 was not set at load.
Napi::Value RingClient::HopStamps(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!hops::kEnabled) return env.Null();
  Napi::Float64Array out = Napi::Float64Array::New(env, hops::kCount);
  for (int i = 0; i < hops::kCount; i++) out[i] = hops::g_stamps[i];
  return out;
}

Napi::Value RingClient::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  const ReaderEntry& e = core_->header()->readers[reader_];
  Napi::Object o = Napi::Object::New(env);
  o.Set("delivered", static_cast<double>(e.delivered));
  o.Set("dropped", static_cast<double>(e.dropped));
  o.Set("held", static_cast<double>(held_.size()));
  o.Set("written", static_cast<double>(__atomic_load_n(&core_->header()->written, __ATOMIC_RELAXED)));
  o.Set("livenessLooks", static_cast<double>(liveness_looks_));
  return o;
}

// writerStatus() → null while the writer lives, else why it is gone (RingClient.writerGone()); the same look as the
// liveness timer's, which also notices a doorbell the writer cannot reach (another network namespace).
Napi::Value RingClient::WriterStatus(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  std::string why = LookAtWriter();
  if (why.empty()) return env.Null();
  if (poll_) uv_unref(static_cast<uv_handle_s*>(poll_));  // the writer is gone: nothing will ring
  return Napi::String::New(env, why);
}

// Not unref'ing anything here: a look that defers a clean close (WAIT-10) still needs the loop to run its next look.
std::string RingClient::LookAtWriter() {
  std::string why;
  if (core_->WriterGone(&why)) return why;
  if (poll_ && core_->DoorbellRefused()) {
    bool waiting = sleeping_;
    StopDoorbell();
    StartWaiter(Env(), waiting);
  } else if (poll_ && sleeping_ && !core_->DoorbellArmed()) {
    // The armed bit lives in shared memory another process could clear: when it is gone while we sleep (rung and the
    // ring still on its way, or cleared by someone else), look again, so a lost ring costs at most one timer period,
    // never a reader asleep for good. While it is set, the next commit rings us: a ring to ourselves every period
    // would cost a sendto, a recv and a loop wakeup per reader four times a second (half a master's syscalls).
    doorbell_->RingSelf();
  }
  return "";
}

bool RingClient::StartLook(Napi::Env env) {
  uv_loop_s* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop) return false;
  void* timer = calloc(1, uv_handle_size(kUvTimerHandle));
  if (!timer) return false;
  if (uv_timer_init(loop, static_cast<uv_timer_s*>(timer)) != 0) {
    free(timer);
    return false;
  }
  UvHandleData(timer) = this;
  uv_unref(static_cast<uv_handle_s*>(timer));  // a reader left open must not keep the process alive
  look_timer_ = timer;
  return true;
}

void RingClient::PushLookBack() {
  // Restarting a libuv timer moves it in the loop's heap: no system call, and the loop's next sleep uses the new time.
  if (look_timer_) uv_timer_start(static_cast<uv_timer_s*>(look_timer_), &RingClient::OnLook, kLivenessCheckMs, 0);
}

void RingClient::StopLook() {
  if (!look_timer_) return;
  uv_timer_stop(static_cast<uv_timer_s*>(look_timer_));
  UvHandleData(look_timer_) = nullptr;
  uv_close(static_cast<uv_handle_s*>(look_timer_), [](uv_handle_s* h) { free(h); });
  look_timer_ = nullptr;
}

void RingClient::OnLook(uv_timer_s* handle) {
  auto* self = static_cast<RingClient*>(UvHandleData(handle));
  if (self) RaiseFromLoop(self->Env(), [self] { self->Look(); });
}

void RingClient::Look() {
  if (closed_ || gone_reported_ || !delivering_) return;
  Napi::Env env = Env();
  Napi::HandleScope scope(env);  // a switch to the waiter thread makes handles
  liveness_looks_++;
  std::string why = LookAtWriter();
  // WAIT-10: frames committed before close() come first. close() rang this client, and timers run before I/O in a
  // turn of the event loop: give that ring one period to be handled (the delivery then reports the end after the
  // frames). A writer that died rang nobody: reported now.
  if (why.empty()) return PushLookBack();
  // A clean close while JavaScript still holds a delivery (a slow async handler, a loop whose consumer is not asking):
  // frames may wait behind it, and its next() reports the end after them (WAIT-10). Up to 10 s: a handler that never
  // settles must not hide the end for good.
  if (why == kClosedByWriter) {
    const int deferrals = in_delivery_ ? 10000 / kLivenessCheckMs : 1;
    if (closed_seen_++ < deferrals) return PushLookBack();
  }
  Deliver(env, -1, why);
}

void RingClient::Shutdown() {
  closed_ = true;
  env_hook_.Remove();
  StopLook();
  StopWaiter();
  StopDoorbell();
  delivering_ = false;
  handler_.Reset();
  meta_ = nullptr;
  meta_ref_.Reset();
  held_.clear();
  core_->UnregisterReader();  // frees every hold of ours in one step
  core_.reset();
  close(lock_fd_);  // drops our entry's liveness lock
  lock_fd_ = -1;
  mapping_->Unref();
  mapping_ = nullptr;
}

Napi::Value RingClient::Close(const Napi::CallbackInfo& info) {
  if (closed_) return info.Env().Undefined();
  if (has_buffer_) {
    has_buffer_ = false;
    ReleaseBuffer(info.Env(), mapping_, true);
  }
  Shutdown();
  return info.Env().Undefined();
}

}  // namespace framering
