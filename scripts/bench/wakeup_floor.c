/*
 * The wakeup floor (bench, issue 13 section 1): the least a reader asleep in the kernel can take to see a frame on
 * this machine. Two processes (fork), no Node, no ring: the writer stamps CLOCK_MONOTONIC into a shared page and
 * wakes the reader, paced like the latency runs; the reader, asleep, wakes and takes the difference.
 *
 *   wakeup_floor futex|socket RATE SECONDS [READER_CPU]
 *
 * futex: the reader sleeps in FUTEX_WAIT on a word of the shared page, the writer bumps it and calls FUTEX_WAKE (what
 * a blocking pull() waits on). socket: the reader sleeps in epoll_wait on a Unix datagram socket, the writer sends one
 * byte to it (what a doorbell is, before Node's event loop). READER_CPU pins the reader (the caller pins the writer
 * with taskset). Prints "samples p50_us p99_us" on stdout.
 * Compiled at bench time with the system cc (scripts/bench/wakeup_floor.ts).
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct shared {
  uint32_t word;     /* futex word: bumped per frame */
  uint32_t stop;     /* set by the writer when the run is over */
  int64_t stamp_ns;  /* the frame's publish time */
};

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: wakeup_floor futex|socket RATE SECONDS [READER_CPU]\n"); return 2; }
  int use_futex = strcmp(argv[1], "futex") == 0;
  double rate = atof(argv[2]), seconds = atof(argv[3]);
  if (rate <= 0 || seconds <= 0) return 2;
  size_t max = (size_t)(rate * seconds) + 16;
  struct shared *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  double *lat = mmap(NULL, max * sizeof(double), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  size_t *count = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (sh == MAP_FAILED || lat == MAP_FAILED || count == MAP_FAILED) { perror("mmap"); return 1; }
  int pair[2];
  if (!use_futex && socketpair(AF_UNIX, SOCK_DGRAM, 0, pair) != 0) { perror("socketpair"); return 1; }
  pid_t reader = fork();
  if (reader < 0) { perror("fork"); return 1; }
  if (reader == 0) {
    if (argc > 4) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(atoi(argv[4]), &set);
      if (sched_setaffinity(0, sizeof set, &set) != 0) { perror("sched_setaffinity"); _exit(1); }
    }
    int ep = -1;
    if (!use_futex) {
      ep = epoll_create1(0);
      struct epoll_event ev = {.events = EPOLLIN};
      epoll_ctl(ep, EPOLL_CTL_ADD, pair[1], &ev);
    }
    uint32_t seen = __atomic_load_n(&sh->word, __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&sh->stop, __ATOMIC_SEQ_CST)) {
      if (use_futex) {
        struct timespec limit = {0, 50 * 1000000};
        syscall(SYS_futex, &sh->word, FUTEX_WAIT, seen, &limit, NULL, 0);
        uint32_t w = __atomic_load_n(&sh->word, __ATOMIC_SEQ_CST);
        if (w == seen) continue;
        seen = w;
      } else {
        struct epoll_event ev;
        if (epoll_wait(ep, &ev, 1, 50) <= 0) continue;
        char b;
        if (recv(pair[1], &b, 1, MSG_DONTWAIT) != 1) continue;
      }
      int64_t t = now_ns() - __atomic_load_n(&sh->stamp_ns, __ATOMIC_SEQ_CST);
      if (*count < max) lat[(*count)++] = (double)t / 1000.0;
    }
    _exit(0);
  }
  int64_t period = (int64_t)(1e9 / rate), next = now_ns() + 100 * 1000000; /* the reader is asleep by then */
  int64_t end = next + (int64_t)(seconds * 1e9);
  while (next < end) {
    struct timespec at = {next / 1000000000, next % 1000000000};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
    __atomic_store_n(&sh->stamp_ns, now_ns(), __ATOMIC_SEQ_CST);
    if (use_futex) {
      __atomic_add_fetch(&sh->word, 1, __ATOMIC_SEQ_CST);
      syscall(SYS_futex, &sh->word, FUTEX_WAKE, 1, NULL, NULL, 0);
    } else if (send(pair[0], "w", 1, 0) != 1) {
      perror("send");
    }
    next += period;
  }
  __atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
  if (use_futex) syscall(SYS_futex, &sh->word, FUTEX_WAKE, 1, NULL, NULL, 0);
  waitpid(reader, NULL, 0);
  size_t n = *count;
  if (n == 0) { printf("0 0 0\n"); return 0; }
  qsort(lat, n, sizeof(double), cmp);
  printf("%zu %.1f %.1f\n", n, lat[n / 2], lat[(size_t)(n * 0.99)]);
  return 0;
}
