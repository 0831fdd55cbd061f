/*
 * The ingest floor (bench, issue 13 section 2): the least any reader of ffmpeg's rawvideo pipe can spend.
 * Drains stdin (the read end of a pipe ffmpeg writes to) frame by frame with plain blocking read()s into one
 * buffer, touching nothing else: the one kernel copy out of the pipe, and nothing more.
 *
 *   read_floor FRAME_BYTES [BUFFERS [shm]]
 *
 * BUFFERS > 1 rotates the destination over that many frame buffers (as a ring of slots does); "shm" puts them in
 * one shared mapping of a memfd (as /dev/shm rings are) instead of private memory. Both are diagnostics: the floor
 * is BUFFERS=1, private.
 * It prints "ready" once SIGUSR1 is handled; on SIGUSR1 it prints "frames cpu_ns" (frames read so far, CLOCK_PROCESS_CPUTIME_ID) on stdout; it exits at EOF.
 * Compiled at bench time with the system cc (scripts/bench/read_floor.ts).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t report_wanted = 0;
static void on_usr1(int sig) { (void)sig; report_wanted = 1; }

static unsigned long long frames = 0;

static void report(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  char line[64];
  int n = snprintf(line, sizeof line, "%llu %llu\n", frames, (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec);
  if (write(1, line, n) < 0) { /* nobody listens: nothing to do */ }
  report_wanted = 0;
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: read_floor FRAME_BYTES [BUFFERS [shm]]\n"); return 2; }
  size_t frame = strtoull(argv[1], NULL, 10);
  size_t buffers = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
  int shm = argc > 3 && strcmp(argv[3], "shm") == 0;
  if (frame == 0 || buffers == 0) return 2;
  size_t page = 4096, slot = (frame + page - 1) / page * page;
  unsigned char *base;
  if (shm) {
    int fd = memfd_create("read_floor", 0);
    if (fd < 0 || ftruncate(fd, (off_t)(slot * buffers)) != 0) { perror("memfd"); return 1; }
    base = mmap(NULL, slot * buffers, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  } else {
    base = mmap(NULL, slot * buffers, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  }
  if (base == MAP_FAILED) { perror("mmap"); return 1; }
  memset(base, 0, slot * buffers); /* fault every page in before measuring */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1; /* no SA_RESTART: a blocked read() returns EINTR and the report goes out at once */
  sigaction(SIGUSR1, &sa, NULL);
  if (write(1, "ready\n", 6) < 0) return 1; /* SIGUSR1 is safe to send from now on */
  for (size_t i = 0;; i = (i + 1) % buffers) {
    unsigned char *dest = base + i * slot;
    size_t got = 0;
    while (got < frame) {
      ssize_t n = read(0, dest + got, frame - got);
      if (n > 0) { got += (size_t)n; continue; }
      if (n < 0 && errno == EINTR) { if (report_wanted) report(); continue; }
      if (report_wanted) report();
      return n == 0 ? 0 : 1;
    }
    frames++;
    if (report_wanted) report();
  }
}
