#include "frame_time_channel.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "ring_layout.h"

namespace framering {

namespace {
// Lines kept that no frame claimed yet: bounds memory if a writer sends lines for frames that never come.
constexpr size_t kMaxPending = 4096;
constexpr size_t kMaxLine = 4096;
// 64 KiB of time lines per frame: ~1,500 lines, far more than ffmpeg writes per frame.
constexpr int kMaxReadsPerFrame = 16;

// The integer after `key` in `line`, e.g. "pts:" → 266667; false if absent or not a number (NOPTS).
bool IntegerAfter(const std::string& line, const char* key, long long* out) {
  size_t at = line.find(key);
  if (at == std::string::npos) return false;
  const char* start = line.c_str() + at + std::char_traits<char>::length(key);
  while (*start == ' ') start++;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(start, &end, 10);
  if (end == start || errno == ERANGE) return false;
  *out = v;
  return true;
}
}  // namespace

FrameTimeChannel::FrameTimeChannel(int fd) : fd_(fd) {
  if (fd_ >= 0) fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
}

FrameTimeChannel::~FrameTimeChannel() { Close(); }

void FrameTimeChannel::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

int64_t FrameTimeChannel::PtsOf(uint64_t index) {
  // One read() usually brings the lines of several frames: a frame whose line is already here costs no system call.
  int64_t pts = kNoPts;
  if (TakePending(index, &pts)) return pts;
  Drain();
  if (TakePending(index, &pts)) return pts;
  times_.erase(std::remove_if(times_.begin(), times_.end(), [index](const auto& t) { return t.first < index; }),
               times_.end());
  return kNoPts;
}

// Lines come in frame order, but a stray one (a far-future index) must not hide this frame's line behind it: look
// through the pending lines (at most kMaxPending) and drop the match with everything before it.
bool FrameTimeChannel::TakePending(uint64_t index, int64_t* pts) {
  for (auto it = times_.begin(); it != times_.end(); ++it) {
    if (it->first != index) continue;
    *pts = it->second;
    times_.erase(times_.begin(), it + 1);
    return true;
  }
  return false;
}

void FrameTimeChannel::Drain() {
  if (fd_ < 0) return;
  char buf[4096];
  // A bounded read per frame: a peer that floods the channel must not starve the frames (or a stop()) behind it.
  for (int reads = 0; reads < kMaxReadsPerFrame; reads++) {
    ssize_t n = read(fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0 || errno != EAGAIN) Close();  // the writer is gone or the channel broke: times stay unknown
      return;
    }
    for (ssize_t i = 0; i < n; i++) {
      if (buf[i] != '\n') {
        if (partial_.size() < kMaxLine) partial_.push_back(buf[i]);
        continue;
      }
      ParseLine(partial_);
      partial_.clear();
    }
  }
}

void FrameTimeChannel::ParseLine(const std::string& line) {
  if (line.compare(0, 6, "frame:") != 0) return;
  long long index = 0, pts = 0;
  if (!IntegerAfter(line, "frame:", &index) || index < 0) return;
  if (!IntegerAfter(line, "pts:", &pts)) pts = kNoPts;  // NOPTS: the source gave none
  if (times_.size() >= kMaxPending) times_.pop_front();
  times_.emplace_back(static_cast<uint64_t>(index), static_cast<int64_t>(pts));
}

}  // namespace framering
