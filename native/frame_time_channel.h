// FrameTimeChannel: the presentation time of each frame of a byte stream, read from a second file descriptor.
// The channel carries text lines `frame:<n> pts:<µs> …` (n: 0-based index of the frame in the stream; pts: an
// integer in µs, or NOPTS), other lines are ignored. That is what ffmpeg's `settb=AVTB,metadata=mode=print` filters
// write, but nothing here depends on ffmpeg: any writer of such lines works.
//
// Why matching by index and reading after the frame: a writer emits a frame's line before the frame's bytes (ffmpeg's
// filter runs before its muxer, and prints unbuffered), so once the pump holds frame n whole, line n is already in the
// channel. A line that is missing (a writer that buffers, a lost line) leaves that frame's time unknown and never
// shifts the times of later frames onto the wrong frames.
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <utility>

namespace framering {

class FrameTimeChannel {
 public:
  explicit FrameTimeChannel(int fd);  // takes ownership of fd and makes it non-blocking; -1: no channel
  ~FrameTimeChannel();
  FrameTimeChannel(const FrameTimeChannel&) = delete;
  FrameTimeChannel& operator=(const FrameTimeChannel&) = delete;

  // The pts (µs) of frame `index`, or kNoPts. Reads what the channel holds now; never blocks. Indexes only grow.
  int64_t PtsOf(uint64_t index);
  void Close();

 private:
  void Drain();
  bool TakePending(uint64_t index, int64_t* pts);
  void ParseLine(const std::string& line);

  int fd_;
  std::string partial_;                          // an unfinished last line
  std::deque<std::pair<uint64_t, int64_t>> times_;  // (frame index, pts) not yet claimed, in order
};

}  // namespace framering
