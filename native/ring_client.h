// RingClient: one reader of a ring, attached by name from any process (TypeScript: FrameRingClient, DataRingClient).
// Frames reach JavaScript from a native waiter thread through a thread-safe function, one at a time: the thread takes
// the next frame only after JavaScript calls next(), so `latest` really gets the newest and the JS thread never blocks.
// next() first tries to take a ready frame on the JavaScript thread itself: under load frames then flow without any
// thread wakeup, and the waiter is re-armed only when the ring is empty.
#pragma once
#include <napi.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "env_cleanup.h"
#include "doorbell.h"
#include "ring_core.h"
#include "uv_glue.h"

namespace framering {

class RingClient : public Napi::ObjectWrap<RingClient> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit RingClient(const Napi::CallbackInfo& info);
  ~RingClient() override;

 private:
  Napi::Value Buffer(const Napi::CallbackInfo& info);
  Napi::Value MetaArray(const Napi::CallbackInfo& info);
  Napi::Value Layout(const Napi::CallbackInfo& info);
  Napi::Value TryAcquire(const Napi::CallbackInfo& info);
  Napi::Value TryAcquireSlot(const Napi::CallbackInfo& info);
  Napi::Value Pull(const Napi::CallbackInfo& info);
  Napi::Value Release(const Napi::CallbackInfo& info);
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Next(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value WriterStatus(const Napi::CallbackInfo& info);
  Napi::Value Wakeup(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  void CheckOpen(Napi::Env env);
  int32_t Handed(const AcquiredSlot& slot);  // records the hold and writes the meta for JavaScript
  void WaiterLoop();
  void StartWaiter(Napi::Env env, bool with_credit);
  void StopWaiter();
  // Doorbell delivery (doorbell.h): frames wake this environment's event loop directly, no thread in between.
  bool StartDoorbell(Napi::Env env);
  void StopDoorbell();
  void OnDoorbell();
  void Deliver(Napi::Env env, int32_t index, const std::string& gone_why);
  static Napi::Value HopStamps(const Napi::CallbackInfo& info);
  static void OnPoll(::uv_poll_s* handle, int status, int events);
  // The liveness look (PROTOCOL.md WAIT-11): one period after the last frame handed out, not every period, so a reader
  // whose frames keep coming never wakes for it. A native timer, because a JavaScript timer pushed back per frame
  // still wakes the loop at its first deadline (Node re-arms lists lazily).
  bool StartLook(Napi::Env env);
  void StopLook();
  void PushLookBack();
  void Look();
  static void OnLook(::uv_timer_s* handle);
  std::string LookAtWriter();  // why the writer is gone ("" while it serves); repairs a lost or refused doorbell
  void Shutdown();
  void TeardownForEnv();  // the environment goes away with the reader still open

  std::string name_;
  Mapping* mapping_ = nullptr;
  int lock_fd_ = -1;  // our own open file description of the ring, holding our table entry's liveness lock
  std::unique_ptr<RingCore> core_;
  int32_t reader_ = -1;
  bool has_buffer_ = false;  // this object holds one use of the mapping's shared ArrayBuffer
  bool closed_ = false;
  std::set<int32_t> held_;  // slots this client holds: released on close, whatever JavaScript forgot

  // How frames are delivered to the handler: 'doorbell' unless asked otherwise or unreachable, else the waiter thread.
  bool prefer_doorbell_ = true;
  Napi::FunctionReference handler_;
  std::unique_ptr<DoorbellReceiver> doorbell_;
  void* poll_ = nullptr;  // uv_poll_t, sized at run time
  bool delivering_ = false;
  bool gone_reported_ = false;
  bool sleeping_ = false;  // armed and waiting for a ring (not inside a delivery)
  bool in_delivery_ = false;  // JavaScript holds a delivery (a handler or a loop step runs): next() not yet called
  void* look_timer_ = nullptr;  // uv_timer_t, sized at run time; while frames are delivered to a handler
  int closed_seen_ = 0;         // looks that saw the writer's close() and waited (WAIT-10)
  uint64_t liveness_looks_ = 0;  // looks made (stats): a reader whose frames keep coming makes none

  // Waiter thread.
  std::thread waiter_;
  Napi::ThreadSafeFunction deliver_;
  // Per-frame metadata goes through one Float64Array made once, not an object per frame: building an object
  // with N-API property sets cost ~26 µs of the wakeup path.
  Napi::Reference<Napi::Float64Array> meta_ref_;
  double* meta_ = nullptr;
  std::atomic<bool> stop_{false};
  std::mutex credit_mutex_;
  std::condition_variable credit_cv_;
  bool credit_ = false;

  EnvCleanupHook env_hook_;  // while open
};

}  // namespace framering
