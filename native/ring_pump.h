// RingPump: a native thread that reads fixed-size frames from a file descriptor (ffmpeg's stdout pipe) straight into
// lent ring slots, so pixels never pass through JavaScript. Knows nothing of ffmpeg: any byte stream of whole frames.
#pragma once
#include <napi.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "env_cleanup.h"
#include "frame_time_channel.h"

namespace framering {

class RingServer;

class RingPump : public Napi::ObjectWrap<RingPump> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit RingPump(const Napi::CallbackInfo& info);
  ~RingPump() override;

  void StopThread();  // joins the thread; safe to call from the server's close and twice

 private:
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);

  void Loop();
  void Finish(const std::string& reason, const std::string& message, uint64_t partial);
  void TeardownForEnv();

  RingServer* server_ = nullptr;
  Napi::ObjectReference server_ref_;  // keeps the server alive while we write into it
  int fd_ = -1;
  int stop_fd_ = -1;                  // eventfd that interrupts poll() on stop
  uint64_t frame_bytes_ = 0;
  uint32_t width_ = 0;
  uint32_t height_ = 0;
  uint32_t slot_id_ = 0;
  uint64_t first_frame_number_ = 0;  // frame numbers go on from here (a restarted source keeps counting)
  uint32_t restarts_ = 0;            // written into every frame's meta
  std::unique_ptr<FrameTimeChannel> times_;  // presentation times, when the source sends them
  std::thread thread_;
  std::atomic<bool> stop_{false};
  bool started_ = false;
  Napi::ThreadSafeFunction on_end_;
  std::atomic<uint64_t> frames_{0};
  std::atomic<uint64_t> drops_{0};
  std::atomic<uint64_t> bytes_{0};
  std::atomic<uint64_t> last_frame_us_{0};

  // Kept until destruction, not just until stop: at teardown the finalizers run in any order, so the hook is also
  // what lets go of the server before its destructor may have run.
  EnvCleanupHook env_hook_;
  std::atomic<bool> env_gone_{false};  // no end report: it could never be delivered
};

// createPipe({ pipeBytes }) → { readFd, writeFd, pipeBytes }: both ends close-on-exec (a child gets the write end
// through its stdio, which dup2 makes inheritable), the buffer enlarged with F_SETPIPE_SZ so a writer rarely blocks.
Napi::Value CreatePipe(const Napi::CallbackInfo& info);
Napi::Value CloseFd(const Napi::CallbackInfo& info);

}  // namespace framering
