#include "ring_pump.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "napi_helpers.h"
#include "process_identity.h"
#include "ring_server.h"

namespace framering {

namespace {
struct EndReport {
  std::string reason;
  std::string message;
  uint64_t partial = 0;
};
}  // namespace

Napi::Function RingPump::Init(Napi::Env env) {
  return DefineClass(env, "RingPump",
                     {InstanceMethod("start", &RingPump::Start), InstanceMethod("stop", &RingPump::Stop),
                      InstanceMethod("stats", &RingPump::Stats)});
}

// new RingPump(server, fd, { frameBytes, width, height, slotId, firstFrameNumber, restarts, timesFd },
//              onEnd(reason, message, partialBytes))
// timesFd: a FrameTimeChannel (frame_time_channel.h) the pump owns from here on, like fd.
RingPump::RingPump(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RingPump>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsObject() || !info[1].IsNumber() || !info[2].IsObject() || !info[3].IsFunction())
    throw MakeError(env, "INVALID_ARGUMENT", "RingPump(server, fd, options, onEnd)");
  server_ = RingServer::Unwrap(info[0].As<Napi::Object>());
  if (!server_ || server_->closed()) throw MakeError(env, "CLOSED", "the pump's ring is closed");
  fd_ = info[1].As<Napi::Number>().Int32Value();
  if (fd_ < 0 || fcntl(fd_, F_GETFD) < 0)
    throw MakeError(env, "INVALID_ARGUMENT", "the pump's file descriptor is not open");
  Napi::Object opts = info[2].As<Napi::Object>();
  frame_bytes_ = static_cast<uint64_t>(NumberOption(opts, "frameBytes", 0, 1, 1099511627776.0));
  width_ = static_cast<uint32_t>(NumberOption(opts, "width", 0, 0, kMaxDimension));
  height_ = static_cast<uint32_t>(NumberOption(opts, "height", 0, 0, kMaxDimension));
  slot_id_ = static_cast<uint32_t>(NumberOption(opts, "slotId", 0, 0, 4294967295.0));
  first_frame_number_ = static_cast<uint64_t>(NumberOption(opts, "firstFrameNumber", 0, 0, 9007199254740991.0));
  restarts_ = static_cast<uint32_t>(NumberOption(opts, "restarts", 0, 0, 4294967295.0));
  int times_fd = static_cast<int>(NumberOption(opts, "timesFd", -1, -1, 2147483647.0));
  if (times_fd >= 0 && fcntl(times_fd, F_GETFD) < 0)
    throw MakeError(env, "INVALID_ARGUMENT", "the pump's timesFd is not open");
  if (frame_bytes_ > server_->core()->slot_bytes())
    throw MakeError(env, "MESSAGE_TOO_LARGE",
                    "frames of " + std::to_string(frame_bytes_) + " bytes do not fit the ring's " +
                        std::to_string(server_->core()->slot_bytes()) + "-byte slots");
  times_ = std::make_unique<FrameTimeChannel>(times_fd);
  server_ref_ = Napi::Persistent(info[0].As<Napi::Object>());
  on_end_ = Napi::ThreadSafeFunction::New(env, info[3].As<Napi::Function>(), "framering-pump", 0, 1);
  // The pending end report keeps the loop alive only while the thread runs.
  on_end_.Unref(env);
  env_hook_.Add(env, RunCleanup<RingPump, &RingPump::TeardownForEnv>, this);
}

RingPump::~RingPump() {
  StopThread();
  if (fd_ >= 0) close(fd_);
}

// The environment goes away: join the thread while its thread-safe function still exists, close the stream, and
// forget the server, whose destructor may run before ours from here on.
void RingPump::TeardownForEnv() {
  env_hook_.Ran();
  env_gone_ = true;
  StopThread();
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  if (times_) times_->Close();
  server_ = nullptr;
  server_ref_.Reset();
}

Napi::Value RingPump::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (thread_.joinable() || stop_) throw MakeError(env, "INVALID_ARGUMENT", "a pump starts once");
  if (server_->closed()) throw MakeError(env, "CLOSED", "the pump's ring is closed");
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) throw MakeError(env, "SYSTEM", "eventfd: " + SystemMessage(errno));
  int flags = fcntl(fd_, F_GETFL);
  fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
  on_end_.Ref(env);
  started_ = true;
  server_->AttachPump(this);
  thread_ = std::thread(&RingPump::Loop, this);
  return env.Undefined();
}

void RingPump::Finish(const std::string& reason, const std::string& message, uint64_t partial) {
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  if (times_) times_->Close();
  if (!env_gone_) {
    auto* report = new EndReport{reason, message, partial};
    napi_status s = on_end_.NonBlockingCall(report, [](Napi::Env env, Napi::Function cb, EndReport* r) {
      std::unique_ptr<EndReport> owned(r);
      cb.Call({Napi::String::New(env, r->reason), Napi::String::New(env, r->message),
               Napi::Number::New(env, static_cast<double>(r->partial))});
    });
    if (s != napi_ok) delete report;  // napi_closing: the environment is being torn down
  }
  on_end_.Release();
}

void RingPump::Loop() {
  // Named so that tools (top -H, /proc/<pid>/task/<tid>/comm, the ingest bench) can tell its CPU from Node's.
  pthread_setname_np(pthread_self(), "framering-pump");
  RingCore* core = server_->core();
  bool blocking = core->blocking();
  std::vector<uint8_t> scratch;  // where a frame goes when every slot is held: it must still leave the pipe
  for (;;) {
    int32_t index = -1;
    // A blocking ring makes the pump wait for readers, in short steps so that stop() is heard; the pipe then fills
    // and the decoder slows down, which is what lossless means.
    while (!stop_) {
      index = core->Lend(blocking ? 100 : 0, !blocking);
      if (index >= 0 || !blocking) break;
    }
    if (stop_) return Finish("stopped", "", 0);
    uint8_t* dest;
    if (index >= 0) {
      dest = core->payload(static_cast<uint32_t>(index));
    } else {
      if (scratch.size() < frame_bytes_) scratch.resize(frame_bytes_);
      dest = scratch.data();
    }
    uint64_t got = 0;
    while (got < frame_bytes_) {
      ssize_t n = read(fd_, dest + got, frame_bytes_ - got);
      if (n > 0) {
        got += static_cast<uint64_t>(n);
        bytes_ += static_cast<uint64_t>(n);
        continue;
      }
      if (n == 0) {
        if (index >= 0) core->Abandon(index);
        if (got == 0) return Finish("eof", "the stream ended", 0);
        return Finish("short-frame",
                      "the stream ended inside a frame: got " + std::to_string(got) + " of " +
                          std::to_string(frame_bytes_) + " bytes (the source's frame size does not match the ring's)",
                      got);
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
        poll(fds, 2, -1);
        if (stop_) {
          if (index >= 0) core->Abandon(index);
          return Finish("stopped", "", got);
        }
        continue;
      }
      int err = errno;
      if (index >= 0) core->Abandon(index);
      return Finish("error", "reading the stream failed: " + SystemMessage(err), got);
    }
    // The frame is whole, so its time line (sent before it) is in the channel; dropped frames claim theirs too.
    uint64_t in_run = frames_.load() + drops_.load();
    int64_t pts = times_->PtsOf(in_run);
    if (index >= 0) {
      CommitMeta meta;
      meta.bytes = frame_bytes_;
      meta.width = width_;
      meta.height = height_;
      meta.slot_id = slot_id_;
      meta.frame_number = static_cast<int64_t>(first_frame_number_ + in_run);
      meta.restarts = restarts_;
      meta.pts_us = pts;
      core->Commit(index, meta);
      frames_++;
      last_frame_us_ = NowRealtimeUs();
    } else {
      drops_++;
    }
  }
}

void RingPump::StopThread() {
  if (!started_ && !stop_) {
    // Never started: nobody else will close the fd or let go of the end callback (which keeps the loop alive).
    stop_ = true;
    if (fd_ >= 0) {
      close(fd_);
      fd_ = -1;
    }
    if (times_) times_->Close();
    on_end_.Release();
  }
  if (thread_.joinable()) {
    stop_ = true;
    uint64_t one = 1;
    if (write(stop_fd_, &one, sizeof one) < 0) { /* the thread also sees stop_ at its next frame */ }
    thread_.join();
  }
  if (stop_fd_ >= 0) {
    close(stop_fd_);
    stop_fd_ = -1;
  }
  if (server_) {
    server_->DetachPump(this);
  }
}

Napi::Value RingPump::Stop(const Napi::CallbackInfo& info) {
  StopThread();
  return info.Env().Undefined();
}

Napi::Value RingPump::Stats(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("frames", static_cast<double>(frames_.load()));
  o.Set("drops", static_cast<double>(drops_.load()));
  o.Set("bytes", static_cast<double>(bytes_.load()));
  o.Set("lastFrameUs", static_cast<double>(last_frame_us_.load()));
  return o;
}

Napi::Value CreatePipe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // 64 KiB (Linux's own default): the pipe's pages stay in cache between ffmpeg's write and the pump's read. A
  // 1 MiB pipe cost the pump ~15 % more CPU, and ffmpeg some too (npm run bench -- --pipeline; README).
  double want = 1 << 16;
  if (info.Length() > 0 && info[0].IsObject())
    want = NumberOption(info[0].As<Napi::Object>(), "pipeBytes", want, 4096, 1 << 30);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw MakeError(env, "SYSTEM", "pipe: " + SystemMessage(errno));
  // Ask for the size wanted; unprivileged processes are capped by /proc/sys/fs/pipe-max-size, so step down.
  int size = -1;
  for (double w = want; w >= 4096 && size < 0; w /= 2) size = fcntl(fds[0], F_SETPIPE_SZ, static_cast<int>(w));
  if (size < 0) size = fcntl(fds[0], F_GETPIPE_SZ);
  Napi::Object o = Napi::Object::New(env);
  o.Set("readFd", fds[0]);
  o.Set("writeFd", fds[1]);
  o.Set("pipeBytes", size);
  return o;
}

Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  if (info.Length() > 0 && info[0].IsNumber()) {
    int fd = info[0].As<Napi::Number>().Int32Value();
    if (fd > 2) close(fd);
  }
  return info.Env().Undefined();
}

}  // namespace framering
