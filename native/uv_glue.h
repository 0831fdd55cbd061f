// The few libuv calls a reader needs to wake on its own event loop from a socket (a poll handle) and to look at its
// writer after a quiet period (a timer handle), declared here because Node-API's headers do not ship uv.h. Node
// exports libuv's symbols to addons, and these signatures are stable across libuv 1.x;
// handle memory is sized at run time with uv_handle_size, so no struct layout is assumed beyond the leading `data`.
#pragma once
#include <cstddef>
#include <cstdint>

extern "C" {
struct uv_loop_s;
struct uv_poll_s;
struct uv_handle_s;
struct uv_timer_s;
typedef void (*uv_poll_cb)(uv_poll_s* handle, int status, int events);
typedef void (*uv_timer_cb)(uv_timer_s* handle);
typedef void (*uv_close_cb)(uv_handle_s* handle);
size_t uv_handle_size(int type);
int uv_poll_init(uv_loop_s* loop, uv_poll_s* handle, int fd);
int uv_poll_start(uv_poll_s* handle, int events, uv_poll_cb cb);
int uv_poll_stop(uv_poll_s* handle);
int uv_timer_init(uv_loop_s* loop, uv_timer_s* handle);
int uv_timer_start(uv_timer_s* handle, uv_timer_cb cb, uint64_t timeout, uint64_t repeat);
int uv_timer_stop(uv_timer_s* handle);
void uv_close(uv_handle_s* handle, uv_close_cb close_cb);
void uv_ref(uv_handle_s* handle);
void uv_unref(uv_handle_s* handle);
}

namespace framering {
constexpr int kUvPollHandle = 8;    // UV_POLL in enum uv_handle_type
constexpr int kUvTimerHandle = 13;  // UV_TIMER
constexpr int kUvReadable = 1;    // UV_READABLE

// Every uv handle starts with `void* data`.
inline void*& UvHandleData(void* handle) { return *static_cast<void**>(handle); }
}  // namespace framering
