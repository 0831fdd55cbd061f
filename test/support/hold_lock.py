#!/usr/bin/env python3
"""Holds open-file-description locks (F_OFD_SETLK) on single bytes of a file, as a ring's writer or readers do, until
killed or until stdin closes. Tests use it to play a process that serves a ring, or one still creating it.

usage: hold_lock.py PATH BYTE [BYTE ...]     (PATH is created, empty, when missing)
prints 'locked' once every byte is held, or 'busy' and exits 1 when one is held by somebody else."""
import fcntl
import os
import struct
import sys

F_OFD_SETLK = 37  # Linux, every architecture


def lock_byte(fd: int, offset: int) -> bool:
    # struct flock on 64-bit Linux: short l_type, short l_whence, off_t l_start, off_t l_len, pid_t l_pid (0 for OFD)
    request = struct.pack("hhxxxxqqixxxx", fcntl.F_WRLCK, os.SEEK_SET, offset, 1, 0)
    try:
        fcntl.fcntl(fd, F_OFD_SETLK, request)
        return True
    except OSError:
        return False


def main() -> int:
    path, offsets = sys.argv[1], [int(b) for b in sys.argv[2:]]
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    for offset in offsets:
        if not lock_byte(fd, offset):
            print("busy", flush=True)
            return 1
    print("locked", flush=True)
    sys.stdin.read()
    return 0


if __name__ == "__main__":
    sys.exit(main())
