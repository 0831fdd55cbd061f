#!/usr/bin/env python3
"""The Frigate-style Python pipeline of the bench's pipeline section (main3 shape), for comparison with framering.

    ffmpeg (one per camera) --pipe--> capture thread (this process) --readinto--> multiprocessing.shared_memory ring
        --(slot, frame number) on an mp.Queue--> worker process per camera (light look; every 2nd frame copied into
        its own shared-memory forward ring) --(camera, slot, n) on one mp.Queue--> master process (same look)
        --reply on the camera's mp.Queue--> worker

As Frigate does it: frames live in shared memory, queues carry names/indexes. The capture reads ffmpeg's stdout the
way Frigate's capture_frames does (frigate/video.py: ffmpeg started with bufsize=frame_size*10, then
`frame_buffer[:] = ffmpeg_process.stdout.read(frame_size)`: a bytes object per frame, copied into the slot), or, with
FRAMERING_BENCH_PY_CAPTURE=readinto, the best a Python user can do: readinto() straight into the slot (no extra copy).
Same work per frame as scripts/bench/pipeline/workload.ts (a byte every 4 KiB summed; every 2nd frame forwarded). Talks
to the bench on stdin/stdout: prints "ready" once frames flow, answers "sample" with one JSON line of counts, exits on
"stop" or EOF.

    pipeline_python.py CAMERAS WIDTH HEIGHT FFMPEG ARG...   (ffmpeg's arguments, writing rawvideo to pipe:1)
"""
import json
import multiprocessing as mp
import os
import queue
import signal
import subprocess
import sys
import threading
from multiprocessing import shared_memory

SLOTS = 8
FORWARD_SLOTS = 4
SAMPLE_STRIDE = 4096
FORWARD_EVERY = 2


def look(buf, frame_bytes):
    return sum(buf[0:frame_bytes:SAMPLE_STRIDE])


def worker(cam, ring_name, fwd_name, frame_bytes, frames_q, master_q, reply_q, counts):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    ring = shared_memory.SharedMemory(name=ring_name)
    fwd = shared_memory.SharedMemory(name=fwd_name)
    buf, fbuf = ring.buf, fwd.buf
    handled = forwarded = replies = 0
    next_fwd = 0
    while True:
        item = frames_q.get()
        if item is None:
            break
        slot, n = item
        off = slot * frame_bytes
        look(buf[off:off + frame_bytes], frame_bytes)
        handled += 1
        if n % FORWARD_EVERY == 0:
            fo = next_fwd * frame_bytes
            fbuf[fo:fo + frame_bytes] = buf[off:off + frame_bytes]
            master_q.put((cam, next_fwd, n))
            next_fwd = (next_fwd + 1) % FORWARD_SLOTS
            forwarded += 1
        while True:
            try:
                reply_q.get_nowait()
                replies += 1
            except queue.Empty:
                break
        counts[cam * 3 + 0] = handled
        counts[cam * 3 + 1] = forwarded
        counts[cam * 3 + 2] = replies
    del buf, fbuf
    ring.close()
    fwd.close()


def master(fwd_names, frame_bytes, master_q, reply_qs, master_count):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    rings = [shared_memory.SharedMemory(name=n) for n in fwd_names]
    bufs = [r.buf for r in rings]
    handled = 0
    while True:
        item = master_q.get()
        if item is None:
            break
        cam, slot, n = item
        off = slot * frame_bytes
        value = look(bufs[cam][off:off + frame_bytes], frame_bytes)
        handled += 1
        master_count.value = handled
        reply_qs[cam].put({"n": n, "value": value})
    del bufs
    for r in rings:
        r.close()


def main():
    cameras, width, height = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    ffmpeg_cmd = sys.argv[4:]
    frame_bytes = width * height * 3
    ctx = mp.get_context("fork")
    rings = [shared_memory.SharedMemory(create=True, size=frame_bytes * SLOTS) for _ in range(cameras)]
    fwds = [shared_memory.SharedMemory(create=True, size=frame_bytes * FORWARD_SLOTS) for _ in range(cameras)]
    frames_qs = [ctx.Queue() for _ in range(cameras)]
    reply_qs = [ctx.Queue() for _ in range(cameras)]
    master_q = ctx.Queue()
    counts = ctx.Array("q", cameras * 3, lock=False)
    master_count = ctx.Value("q", 0, lock=False)
    procs = [ctx.Process(target=master, args=([f.name for f in fwds], frame_bytes, master_q, reply_qs, master_count),
                         daemon=True)]
    procs += [ctx.Process(target=worker,
                          args=(i, rings[i].name, fwds[i].name, frame_bytes, frames_qs[i], master_q, reply_qs[i],
                                counts),
                          daemon=True)
              for i in range(cameras)]
    for p in procs:
        p.start()
    decoded = [0] * cameras
    stopping = threading.Event()
    ffmpegs = []

    readinto = os.environ.get("FRAMERING_BENCH_PY_CAPTURE") == "readinto"

    def capture(i):
        ff = subprocess.Popen(ffmpeg_cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              bufsize=0 if readinto else frame_bytes * 10)
        ffmpegs.append(ff)
        buf = rings[i].buf
        n = 0
        while not readinto and not stopping.is_set():
            slot = n % SLOTS
            data = ff.stdout.read(frame_bytes)
            if len(data) != frame_bytes:
                return
            buf[slot * frame_bytes:(slot + 1) * frame_bytes] = data
            decoded[i] += 1
            frames_qs[i].put((slot, n))
            n += 1
        while not stopping.is_set():
            slot = n % SLOTS
            view = buf[slot * frame_bytes:(slot + 1) * frame_bytes]
            got = 0
            while got < frame_bytes:
                r = ff.stdout.readinto(view[got:])
                if not r:
                    return
                got += r
            decoded[i] += 1
            frames_qs[i].put((slot, n))
            n += 1

    threads = [threading.Thread(target=capture, args=(i,), daemon=True) for i in range(cameras)]
    for t in threads:
        t.start()
    while sum(decoded) < cameras:
        threading.Event().wait(0.05)
    print("ready", flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "sample":
            c = list(counts)
            print(json.dumps({"decoded": sum(decoded), "handled": sum(c[0::3]), "forwarded": sum(c[1::3]),
                              "replies": sum(c[2::3]), "masterHandled": master_count.value}), flush=True)
        elif cmd == "stop":
            break
    stopping.set()
    for ff in ffmpegs:
        ff.kill()
    for p in procs:
        p.kill()
    for p in procs:
        p.join()
    for r in rings + fwds:
        r.unlink()
        try:
            r.close()
        except BufferError:
            pass  # a capture thread's view still exists; the process exits next anyway


if __name__ == "__main__":
    main()
