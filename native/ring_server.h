// RingServer: the writer of one ring (TypeScript: FrameRingServer, DataRingServer). Creates the segment and unlinks
// it on close; lends slots to JavaScript or to RingPumps running on native threads.
#pragma once
#include <napi.h>

#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "env_cleanup.h"
#include "ring_core.h"

namespace framering {

class RingPump;

class RingServer : public Napi::ObjectWrap<RingServer> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit RingServer(const Napi::CallbackInfo& info);
  ~RingServer() override;

  RingCore* core() { return core_.get(); }
  bool closed() const { return closed_; }
  void AttachPump(RingPump* pump);
  void DetachPump(RingPump* pump);

 private:
  Napi::Value Buffer(const Napi::CallbackInfo& info);
  Napi::Value Layout(const Napi::CallbackInfo& info);
  Napi::Value Lend(const Napi::CallbackInfo& info);
  Napi::Value Commit(const Napi::CallbackInfo& info);
  Napi::Value Abandon(const Napi::CallbackInfo& info);
  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value ReclaimDeadReaders(const Napi::CallbackInfo& info);

  void CheckOpen(Napi::Env env);
  int32_t SlotArg(const Napi::CallbackInfo& info, size_t i);
  CommitMeta MetaArg(const Napi::CallbackInfo& info, size_t i, uint64_t bytes);
  void StopPumps();
  void Release(bool unlink);
  int SyncWaitMs() const;
  void TeardownForEnv();  // the environment goes away with the ring still open

  // The longest a call on the JavaScript thread waits for readers of a blocking ring; writeAsync() waits longer.
  static constexpr uint32_t kMaxSyncWaitMs = 100;

  std::string name_;
  Mapping* mapping_ = nullptr;
  int lock_fd_ = -1;  // our own open file description of the ring, holding the writer's liveness lock
  std::unique_ptr<RingCore> core_;
  bool has_buffer_ = false;  // this object holds one use of the mapping's shared ArrayBuffer
  bool closed_ = false;
  std::set<int32_t> lent_;  // slots lent to JavaScript and not yet committed or abandoned
  std::mutex pumps_mutex_;
  std::set<RingPump*> pumps_;

  EnvCleanupHook env_hook_;  // while open
};

}  // namespace framering
