/*
 * loadgen: a C load generator for echo servers on a Unix domain socket, as an efficient client
 * would drive them. N connections each keep K frames in flight; the frames a connection has to
 * send go out in one writev (small frames copied into one buffer, large payloads written straight
 * from a shared read-only pattern), replies are read 256 KiB at a time and every reply byte is
 * compared with prefix + the payload sent. Latency (frame issued -> its reply fully read) goes to
 * a log-linear histogram (~3% resolution). The loader reports its own CPU use (getrusage), so a
 * saturated loader is reported, not taken for the server's limit.
 *
 * Build: cc -O2 -o loadgen loadgen.c -lm   (add -pthread for --threads > 1; bench/run does both)
 * Usage: loadgen --path P [--framing length|line] [--connections N] [--pipeline K] [--size BYTES]
 *                [--duration SECONDS] [--warmup SECONDS] [--prefix TEXT] [--json] [--idle N]
 *                [--threads T] [--server-pid PID]
 *
 * Payload of frame seq (per connection): the low hex digits of seq (up to 16), then letters and
 * digits from a pattern starting at seq % 62, so every frame differs and line framing works.
 * --idle N opens N connections, holds them for --duration seconds without sending, and reports
 * how many stayed open (with --server-pid: the server's RSS per connection). Exit status: 0 when
 * every reply matched, 1 on any error (mismatch, closed or refused connection), 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define READ_SIZE (256 * 1024)
#define COPY_MAX 2048 /* frames up to this payload are copied whole into the send buffer */
#define MAX_IOV 1024
#define MAX_EVENTS 256
#define STAMP 16
#define ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#define ALPHABET_LEN 62
#define MAX_REPORTED_ERRORS 5
#define STALL_S 2.0 /* frames in flight and no reply byte this long: an error */

/* Log-linear histogram of nanoseconds: exact below 64, then 32 sub-buckets per power of two. */
#define SUB_BITS 5
#define HIST_BUCKETS (64 + 58 * 32)

/* ---------------------------------------------------------------------------------------------
 * options */

static const char *path;
static int line_framing;
static int connections = 1;
static int pipeline = 1;
static long size = 64;
static double duration = 5;
static double warmup = 1;
static const char *prefix = "echo:";
static size_t prefix_len = 5;
static int json;
static long idle_count = -1;
static int threads = 1;
static long server_pid;

/* What every frame and reply share: the pattern, the reply's constant head (length header and
 * prefix) and tail (newline for line framing). */
static char *pattern;
static size_t stamp_len;
static unsigned char reply_head[4 + 4096];
static size_t reply_head_len;
static size_t reply_len;
static const char newline = '\n';

static volatile sig_atomic_t interrupted;
static int errors_reported; /* only read and written under report_lock */
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;

static void usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "loadgen: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, " (see --help)\n");
  exit(2);
}

static void report_error(const char *fmt, long a, long b) {
  pthread_mutex_lock(&report_lock);
  if (errors_reported < MAX_REPORTED_ERRORS) fprintf(stderr, fmt, a, b);
  if (errors_reported == MAX_REPORTED_ERRORS) fprintf(stderr, "loadgen: further errors only counted\n");
  errors_reported++;
  pthread_mutex_unlock(&report_lock);
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static double cpu_s(int who) {
  struct rusage r;
  getrusage(who, &r);
  return r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 + r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6;
}

/* The server's CPU seconds (utime + stime) from /proc/PID/stat, or -1. */
static double server_cpu_s(void) {
  if (server_pid <= 0) return -1;
  char file[64], buf[2048];
  snprintf(file, sizeof file, "/proc/%ld/stat", server_pid);
  FILE *f = fopen(file, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')'); /* the command name may hold spaces */
  if (!p) return -1;
  unsigned long ut, st;
  /* after ")": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15) */
  if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) return -1;
  return (double)(ut + st) / sysconf(_SC_CLK_TCK);
}

/* The server's resident set in bytes, or -1. */
static long server_rss(void) {
  if (server_pid <= 0) return -1;
  char file[64];
  snprintf(file, sizeof file, "/proc/%ld/statm", server_pid);
  FILE *f = fopen(file, "r");
  if (!f) return -1;
  long pages_total, pages_rss;
  int ok = fscanf(f, "%ld %ld", &pages_total, &pages_rss) == 2;
  fclose(f);
  return ok ? pages_rss * sysconf(_SC_PAGESIZE) : -1;
}

/* ---------------------------------------------------------------------------------------------
 * histogram */

static int bucket_of(uint64_t v) {
  if (v < 64) return (int)v;
  int e = 63 - __builtin_clzll(v); /* >= 6 */
  if (e > 63 - 1) e = 62;
  int sub = (int)((v >> (e - SUB_BITS)) & ((1u << SUB_BITS) - 1));
  int i = 64 + (e - 6) * 32 + sub;
  return i < HIST_BUCKETS ? i : HIST_BUCKETS - 1;
}

static double bucket_value(int i) { /* the middle of the bucket */
  if (i < 64) return i;
  int e = (i - 64) / 32 + 6;
  int sub = (i - 64) % 32;
  double low = ldexp(32 + sub, e - SUB_BITS);
  return low + ldexp(1, e - SUB_BITS) / 2;
}

static double percentile_us(const uint64_t *h, uint64_t count, double p) {
  if (count == 0) return 0;
  uint64_t rank = (uint64_t)ceil(p * (double)count);
  if (rank < 1) rank = 1;
  uint64_t seen = 0;
  for (int i = 0; i < HIST_BUCKETS; i++) {
    seen += h[i];
    if (seen >= rank) return bucket_value(i) / 1000.0;
  }
  return bucket_value(HIST_BUCKETS - 1) / 1000.0;
}

/* ---------------------------------------------------------------------------------------------
 * connections */

struct seg {
  int from_pattern; /* else from the connection's send buffer */
  size_t off, len;
};

struct conn {
  int fd;
  int dead;
  int want_out; /* EPOLLOUT armed */
  uint64_t sent;     /* frames issued (queued for writing) */
  uint64_t received; /* replies fully read and verified */
  size_t rpos;       /* bytes of reply number `received` read so far */
  char stamp[STAMP]; /* the stamp of reply number `received` */
  uint64_t *issued_ns; /* ring of pipeline entries: when frame seq was issued */
  /* frames issued but not yet written: bytes in `out` and spans of the pattern */
  char *out;
  size_t out_len, out_cap;
  struct seg *segs;
  int nsegs, first_seg, segs_cap;
  size_t first_off; /* bytes of segs[first_seg] already written */
  double last_read; /* when a reply byte last came, or the connection started */
};

struct worker {
  int index;
  int nconns;
  struct conn *conns;
  int ep;
  char *rbuf;
  /* counted after the warm-up only */
  uint64_t replies;
  uint64_t hist[HIST_BUCKETS];
  uint64_t errors;
  int measuring;
  double cpu_measured; /* this thread's CPU time (s) over the measured run */
  pthread_t thread;
};

static double t_begin, t_measure_start, t_end;

static void put_stamp(char *dst, uint64_t seq) {
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < stamp_len; i++) dst[i] = hex[(seq >> (4 * (stamp_len - 1 - i))) & 15];
}

static const char *body_of(uint64_t seq) { return pattern + seq % ALPHABET_LEN; }

static int reserve(char **buf, size_t *cap, size_t need) {
  if (need <= *cap) return 0;
  size_t c = *cap ? *cap : 4096;
  while (c < need) c *= 2;
  char *p = realloc(*buf, c);
  if (!p) return -1;
  *buf = p;
  *cap = c;
  return 0;
}

static void add_seg(struct conn *c, int from_pattern, size_t off, size_t len) {
  if (len == 0) return;
  struct seg *last = c->nsegs > c->first_seg ? &c->segs[c->nsegs - 1] : NULL;
  if (last && !from_pattern && !last->from_pattern && last->off + last->len == off) {
    last->len += len;
    return;
  }
  if (c->nsegs == c->segs_cap) {
    int cap = c->segs_cap * 2;
    struct seg *s = realloc(c->segs, cap * sizeof *s);
    if (!s) abort();
    c->segs = s;
    c->segs_cap = cap;
  }
  c->segs[c->nsegs++] = (struct seg){from_pattern, off, len};
}

/* Queues frame number c->sent for writing. */
static void issue(struct conn *c, uint64_t t) {
  uint64_t seq = c->sent++;
  c->issued_ns[seq % (uint64_t)pipeline] = t;
  size_t body = (size_t)size - stamp_len;
  size_t head = (line_framing ? 0 : 4) + stamp_len;
  size_t copied = (size_t)size <= COPY_MAX ? head + body : head;
  size_t tail = line_framing ? 1 : 0;
  if (reserve(&c->out, &c->out_cap, c->out_len + copied + tail) < 0) abort();
  unsigned char *o = (unsigned char *)c->out + c->out_len;
  size_t at = c->out_len;
  if (!line_framing) {
    uint32_t n = (uint32_t)size;
    o[0] = n >> 24;
    o[1] = n >> 16;
    o[2] = n >> 8;
    o[3] = n;
    o += 4;
  }
  put_stamp((char *)o, seq);
  o += stamp_len;
  if ((size_t)size <= COPY_MAX) {
    memcpy(o, body_of(seq), body);
    o += body;
    if (tail) *o = newline;
    c->out_len += copied + tail;
    add_seg(c, 0, at, copied + tail);
  } else {
    c->out_len += head;
    add_seg(c, 0, at, head);
    add_seg(c, 1, (size_t)(body_of(seq) - pattern), body);
    if (tail) {
      c->out[c->out_len] = newline;
      add_seg(c, 0, c->out_len, 1);
      c->out_len += 1;
    }
  }
}

/* Writes what is queued, as far as the socket takes it. Returns -1 when the connection is gone. */
static int flush_out(struct conn *c) {
  struct iovec iov[MAX_IOV];
  while (c->first_seg < c->nsegs) {
    int n = 0;
    for (int i = c->first_seg; i < c->nsegs && n < MAX_IOV; i++, n++) {
      struct seg *s = &c->segs[i];
      iov[n].iov_base = (s->from_pattern ? pattern : c->out) + s->off;
      iov[n].iov_len = s->len;
    }
    iov[0].iov_base = (char *)iov[0].iov_base + c->first_off;
    iov[0].iov_len -= c->first_off;
    ssize_t w = writev(c->fd, iov, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return -1;
    }
    size_t left = (size_t)w;
    for (int i = 0; i < n && left > 0; i++) {
      if (left >= iov[i].iov_len) {
        left -= iov[i].iov_len;
        c->first_seg++;
        c->first_off = 0;
      } else {
        c->first_off += left;
        left = 0;
      }
    }
  }
  if (c->first_seg == c->nsegs) {
    c->first_seg = c->nsegs = 0;
    c->first_off = 0;
    c->out_len = 0;
  } else if (c->first_seg > 0) {
    /* Keep the queue and the buffer from growing while the socket stays full. */
    size_t from = c->out_len;
    for (int i = c->first_seg; i < c->nsegs; i++) {
      if (!c->segs[i].from_pattern) {
        from = c->segs[i].off;
        break;
      }
    }
    memmove(c->out, c->out + from, c->out_len - from);
    c->out_len -= from;
    int k = 0;
    for (int i = c->first_seg; i < c->nsegs; i++, k++) {
      c->segs[k] = c->segs[i];
      if (!c->segs[k].from_pattern) c->segs[k].off -= from;
    }
    c->nsegs = k;
    c->first_seg = 0;
  }
  return 0;
}

static void set_out(struct worker *w, struct conn *c, int want) {
  if (want == c->want_out) return;
  struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0), .data.ptr = c};
  epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
  c->want_out = want;
}

static void kill_conn(struct worker *w, struct conn *c) {
  if (c->dead) return;
  c->dead = 1;
  epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
}

/*
 * Checks n bytes read against the expected reply stream; on each completed reply records its
 * latency. Returns -1 on a mismatch. The expected reply: head (length header + prefix, the same
 * for every reply), stamp, pattern body, tail (newline for line framing).
 */
static int verify(struct worker *w, struct conn *c, const char *data, size_t n, uint64_t t) {
  size_t body = (size_t)size - stamp_len;
  while (n > 0) {
    if (c->received >= c->sent) {
      report_error("loadgen: connection %ld: %ld bytes beyond the replies to the frames sent\n", c->fd, (long)n);
      return -1;
    }
    if (c->rpos == 0) put_stamp(c->stamp, c->received);
    size_t pos = c->rpos, take;
    const char *expect;
    if (pos < reply_head_len) {
      expect = (const char *)reply_head + pos;
      take = reply_head_len - pos;
    } else if ((pos -= reply_head_len) < stamp_len) {
      expect = c->stamp + pos;
      take = stamp_len - pos;
    } else if ((pos -= stamp_len) < body) {
      expect = body_of(c->received) + pos;
      take = body - pos;
    } else {
      expect = &newline;
      take = 1;
    }
    if (take > n) take = n;
    if (memcmp(data, expect, take) != 0) {
      size_t at = 0;
      while (data[at] == expect[at]) at++;
      report_error("loadgen: reply %ld differs from prefix + payload at byte %ld\n", (long)c->received,
                   (long)(c->rpos + at));
      return -1;
    }
    data += take;
    n -= take;
    c->rpos += take;
    if (c->rpos == reply_len) {
      if (w->measuring) {
        uint64_t sent_at = c->issued_ns[c->received % (uint64_t)pipeline];
        w->hist[bucket_of(t > sent_at ? t - sent_at : 0)]++;
        w->replies++;
      }
      c->received++;
      c->rpos = 0;
    }
  }
  return 0;
}

static void on_event(struct worker *w, struct conn *c, uint32_t events, int stopping) {
  if (events & EPOLLIN) {
    for (;;) {
      ssize_t n = read(c->fd, w->rbuf, READ_SIZE);
      if (n > 0) {
        uint64_t t = now_ns();
        c->last_read = t / 1e9;
        if (verify(w, c, w->rbuf, (size_t)n, t) < 0) {
          w->errors++;
          kill_conn(w, c);
          return;
        }
        if (n < READ_SIZE) break;
      } else if (n == 0) {
        report_error("loadgen: connection %ld closed by the server with %ld frames unanswered\n", c->fd,
                     (long)(c->sent - c->received));
        w->errors++;
        kill_conn(w, c);
        return;
      } else if (errno == EINTR) {
        continue;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        break;
      } else {
        report_error("loadgen: connection %ld: read failed (errno %ld)\n", c->fd, errno);
        w->errors++;
        kill_conn(w, c);
        return;
      }
    }
  } else if (events & (EPOLLHUP | EPOLLERR)) {
    report_error("loadgen: connection %ld hung up with %ld frames unanswered\n", c->fd, (long)(c->sent - c->received));
    w->errors++;
    kill_conn(w, c);
    return;
  }
  if (!stopping && c->sent - c->received < (uint64_t)pipeline) {
    uint64_t t = now_ns();
    while (c->sent - c->received < (uint64_t)pipeline) issue(c, t);
  }
  if (flush_out(c) < 0) {
    report_error("loadgen: connection %ld: write failed (errno %ld)\n", c->fd, errno);
    w->errors++;
    kill_conn(w, c);
    return;
  }
  set_out(w, c, c->first_seg < c->nsegs);
}

static int connect_one(void) {
  struct sockaddr_un addr = {0};
  addr.sun_family = AF_UNIX;
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

/* Serves events until `deadline` (or until every connection is gone); 0 when none is left. */
static int serve_until(struct worker *w, double deadline) {
  struct epoll_event events[MAX_EVENTS];
  for (;;) {
    if (now_s() >= deadline || interrupted) return 1;
    int live = 0;
    for (int i = 0; i < w->nconns && !live; i++) live = !w->conns[i].dead;
    if (!live) return 0;
    int n = epoll_wait(w->ep, events, MAX_EVENTS, 20);
    if (n < 0 && errno != EINTR) return 0;
    for (int i = 0; i < n; i++) {
      struct conn *c = events[i].data.ptr;
      if (!c->dead) on_event(w, c, events[i].events, 0);
    }
  }
}

/* Where the measured window starts, as worker 0 saw it: the loader's and the server's CPU. */
static double cpu_at_start, server_cpu_at_start, t_started;

static void *run_worker(void *arg) {
  struct worker *w = arg;
  uint64_t t = now_ns();
  for (int i = 0; i < w->nconns; i++) {
    struct conn *c = &w->conns[i];
    c->last_read = t / 1e9;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
    epoll_ctl(w->ep, EPOLL_CTL_ADD, c->fd, &ev);
    while (c->sent < (uint64_t)pipeline) issue(c, t);
    if (flush_out(c) < 0) {
      report_error("loadgen: connection %ld: write failed (errno %ld)\n", c->fd, errno);
      w->errors++;
      kill_conn(w, c);
      continue;
    }
    set_out(w, c, c->first_seg < c->nsegs);
  }
  if (serve_until(w, t_measure_start) && w->index == 0) {
    cpu_at_start = cpu_s(RUSAGE_SELF);
    server_cpu_at_start = server_cpu_s();
    t_started = now_s();
  }
  w->measuring = 1;
  double cpu0 = cpu_s(RUSAGE_THREAD);
  serve_until(w, t_end);
  w->cpu_measured = cpu_s(RUSAGE_THREAD) - cpu0;
  /* A server that stops answering: frames in flight and no reply byte for STALL_S (or ever). */
  double now = now_s();
  for (int i = 0; i < w->nconns; i++) {
    struct conn *c = &w->conns[i];
    if (!c->dead && c->sent > c->received && now - c->last_read >= (now - t_begin < STALL_S ? now - t_begin : STALL_S)) {
      report_error("loadgen: connection %ld: no reply for %ld ms with frames in flight\n", c->fd,
                   (long)((now - c->last_read) * 1000));
      w->errors++;
    }
  }
  return NULL;
}

/* ---------------------------------------------------------------------------------------------
 * main */

static double parse_num(const char *opt, const char *v, double min) {
  char *end;
  errno = 0;
  double d = strtod(v, &end);
  if (errno || end == v || *end || !(d >= min)) {
    fprintf(stderr, "loadgen: %s wants a number >= %g, got '%s' (see --help)\n", opt, min, v);
    exit(2);
  }
  return d;
}

static void help(void) {
  printf("usage: loadgen --path P [--framing length|line] [--connections N] [--pipeline K] [--size BYTES]\n"
         "               [--duration SECONDS] [--warmup SECONDS] [--prefix TEXT] [--json] [--idle N]\n"
         "               [--threads T] [--server-pid PID]\n"
         "Drives an echo server on Unix socket P: N connections (default 1) each keep K frames (default 1)\n"
         "of BYTES (default 64) in flight, for --warmup (default 1) then --duration (default 5) seconds,\n"
         "and checks every reply byte against PREFIX (default \"echo:\"; \"\" for the C echo) + payload.\n"
         "--json prints one JSON object; --idle N holds N idle connections for --duration seconds;\n"
         "--threads T spreads the connections over T threads; --server-pid adds the server's CPU or RSS.\n");
}

static void parse_args(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      help();
      exit(0);
    }
    if (!strcmp(a, "--json")) {
      json = 1;
      continue;
    }
    if (i + 1 >= argc) usage_error("%s needs a value", a);
    const char *v = argv[++i];
    if (!strcmp(a, "--path")) path = v;
    else if (!strcmp(a, "--framing")) {
      if (!strcmp(v, "line")) line_framing = 1;
      else if (!strcmp(v, "length")) line_framing = 0;
      else usage_error("--framing is length or line, not '%s'", v);
    } else if (!strcmp(a, "--connections")) connections = (int)parse_num(a, v, 1);
    else if (!strcmp(a, "--pipeline")) pipeline = (int)parse_num(a, v, 1);
    else if (!strcmp(a, "--size")) size = (long)parse_num(a, v, 0);
    else if (!strcmp(a, "--duration")) duration = parse_num(a, v, 0.01);
    else if (!strcmp(a, "--warmup")) warmup = parse_num(a, v, 0);
    else if (!strcmp(a, "--prefix")) prefix = v;
    else if (!strcmp(a, "--idle")) idle_count = (long)parse_num(a, v, 1);
    else if (!strcmp(a, "--threads")) threads = (int)parse_num(a, v, 1);
    else if (!strcmp(a, "--server-pid")) server_pid = (long)parse_num(a, v, 1);
    else usage_error("unknown option %s", a);
  }
  if (!path) usage_error("%s", "--path is required");
  if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
    usage_error("the socket path is longer than 107 bytes: %s", path);
  prefix_len = strlen(prefix);
  if (prefix_len > 4096) usage_error("%s", "--prefix is longer than 4096 bytes");
  if (size > 0x7fffffffL - (long)prefix_len) usage_error("%s", "--size is too large");
  if (threads > connections) threads = connections;
}

static void print_result(const char *mode, double msgs_per_s, double mb_per_s, const uint64_t *hist,
                         uint64_t replies, uint64_t errors, double loader_cpu, double busiest, double server_cpu,
                         long open, long rss_before, long rss_after, double seconds) {
  double p50 = percentile_us(hist, replies, 0.50), p99 = percentile_us(hist, replies, 0.99),
         p999 = percentile_us(hist, replies, 0.999);
  /* Saturated: the threads together, or any one of them (with several threads on a small machine
   * the sum cannot reach 90% of them all while one of them is the limit). */
  int saturated = loader_cpu > 0.9 * threads || busiest > 0.9;
  if (json) {
    printf("{\"mode\":\"%s\",\"framing\":\"%s\",\"msgs_per_s\":%.0f,\"mb_per_s\":%.1f,\"p50_us\":%.1f,"
           "\"p99_us\":%.1f,\"p999_us\":%.1f,\"errors\":%llu,\"loader_cpu\":%.3f,\"loader_busiest_thread\":%.3f,\"loader_saturated\":%s,"
           "\"threads\":%d,\"connections\":%d,\"pipeline\":%d,\"size\":%ld,\"replies\":%llu,\"seconds\":%.3f",
           mode, line_framing ? "line" : "length", msgs_per_s, mb_per_s, p50, p99, p999, (unsigned long long)errors,
           loader_cpu, busiest, saturated ? "true" : "false", threads, connections, pipeline, size,
           (unsigned long long)replies, seconds);
    if (server_cpu >= 0) {
      printf(",\"server_cpu\":%.3f", server_cpu);
      if (replies > 0) printf(",\"server_us_per_msg\":%.3f", server_cpu * seconds * 1e6 / (double)replies);
    }
    if (open >= 0) printf(",\"open\":%ld", open);
    if (rss_before >= 0 && rss_after >= 0 && open > 0)
      printf(",\"server_rss_before\":%ld,\"server_rss_after\":%ld,\"rss_per_connection\":%.0f", rss_before, rss_after,
             (double)(rss_after - rss_before) / open);
    printf("}\n");
  } else if (open >= 0) {
    printf("idle: %ld of %d connections held for %.1f s, %llu errors", open, connections, seconds,
           (unsigned long long)errors);
    if (rss_before >= 0 && rss_after >= 0 && open > 0)
      printf(", server RSS %ld -> %ld B (%.0f B per connection)", rss_before, rss_after,
             (double)(rss_after - rss_before) / open);
    printf("\n");
  } else {
    printf("%.0f msg/s, %.1f MB/s each way, latency p50 %.1f us, p99 %.1f us, p99.9 %.1f us, %llu errors, "
           "loader CPU %.2f cores",
           msgs_per_s, mb_per_s, p50, p99, p999, (unsigned long long)errors, loader_cpu);
    if (server_cpu >= 0 && replies > 0)
      printf(", server CPU %.2f cores (%.2f us per msg)", server_cpu, server_cpu * seconds * 1e6 / (double)replies);
    printf("\n");
  }
  if (saturated)
    fprintf(stderr, "loadgen: warning: the loader used %.2f cores of its %d thread(s), its busiest thread %.0f%%: "
            "the figures may be the loader's limit, not the server's\n", loader_cpu, threads, busiest * 100);
}

static void on_signal(int sig) {
  (void)sig;
  interrupted = 1;
}

static void raise_fd_limit(long want) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max && (long)rl.rlim_cur < want + 64) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

static int run_idle(void) {
  long n = idle_count;
  connections = (int)n;
  raise_fd_limit(n);
  int *fds = malloc(n * sizeof *fds);
  long rss_before = server_rss();
  double c0 = cpu_s(RUSAGE_SELF);
  uint64_t errors = 0;
  long open = 0;
  for (long i = 0; i < n && !interrupted; i++) {
    fds[i] = connect_one();
    if (fds[i] < 0) {
      if (errors == 0) fprintf(stderr, "loadgen: connection %ld of %ld: %s\n", i + 1, n, strerror(errno));
      errors++;
    } else {
      open++;
    }
  }
  fprintf(stderr, "loadgen: holding %ld idle connections\n", open);
  double t0 = now_s();
  while (!interrupted && now_s() - t0 < duration) usleep(20000);
  /* Still open? A closed connection reads as end of file (nothing was sent, so nothing is read). */
  long still = 0;
  for (long i = 0; i < n; i++) {
    if (fds[i] < 0) continue;
    char b;
    ssize_t r = recv(fds[i], &b, 1, MSG_DONTWAIT);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) still++;
    else errors++;
  }
  long rss_after = server_rss();
  double seconds = now_s() - t0;
  double loader_cpu = (cpu_s(RUSAGE_SELF) - c0) / (seconds > 0 ? seconds : 1);
  for (long i = 0; i < n; i++)
    if (fds[i] >= 0) close(fds[i]);
  static uint64_t no_hist[HIST_BUCKETS];
  if (still < open)
    fprintf(stderr, "loadgen: %ld of %ld idle connections were closed by the server\n", open - still, open);
  print_result("idle", 0, 0, no_hist, 0, errors, loader_cpu, loader_cpu, -1, still, rss_before, rss_after, seconds);
  free(fds);
  return errors ? 1 : 0;
}

int main(int argc, char **argv) {
  parse_args(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  if (idle_count > 0) return run_idle();

  stamp_len = size < STAMP ? (size_t)size : STAMP;
  size_t pattern_len = (size_t)size + ALPHABET_LEN;
  pattern = malloc(pattern_len + 1);
  for (size_t i = 0; i < pattern_len; i++) pattern[i] = ALPHABET[i % ALPHABET_LEN];
  reply_head_len = 0;
  if (!line_framing) {
    uint32_t rn = (uint32_t)(prefix_len + (size_t)size);
    reply_head[0] = rn >> 24;
    reply_head[1] = rn >> 16;
    reply_head[2] = rn >> 8;
    reply_head[3] = rn;
    reply_head_len = 4;
  }
  memcpy(reply_head + reply_head_len, prefix, prefix_len);
  reply_head_len += prefix_len;
  reply_len = reply_head_len + (size_t)size + (line_framing ? 1 : 0);

  raise_fd_limit(connections);
  struct conn *conns = calloc((size_t)connections, sizeof *conns);
  for (int i = 0; i < connections; i++) {
    struct conn *c = &conns[i];
    c->fd = connect_one();
    if (c->fd < 0) {
      fprintf(stderr, "loadgen: cannot connect to %s (connection %d of %d): %s\n", path, i + 1, connections,
              strerror(errno));
      return 1;
    }
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    c->issued_ns = calloc((size_t)pipeline, sizeof *c->issued_ns);
    c->segs_cap = 3 * pipeline + 4;
    c->segs = malloc((size_t)c->segs_cap * sizeof *c->segs);
  }

  struct worker *workers = calloc((size_t)threads, sizeof *workers);
  for (int t = 0, from = 0; t < threads; t++) {
    struct worker *w = &workers[t];
    int count = connections / threads + (t < connections % threads);
    w->index = t;
    w->conns = conns + from;
    w->nconns = count;
    w->ep = epoll_create1(EPOLL_CLOEXEC);
    w->rbuf = malloc(READ_SIZE);
    from += count;
  }
  double start = now_s();
  t_begin = start;
  t_measure_start = start + warmup;
  t_end = t_measure_start + duration;
  t_started = start; /* until worker 0 reaches the end of the warm-up */
  cpu_at_start = cpu_s(RUSAGE_SELF);
  server_cpu_at_start = server_cpu_s();
  if (threads == 1) {
    run_worker(&workers[0]);
  } else {
    for (int t = 0; t < threads; t++) pthread_create(&workers[t].thread, NULL, run_worker, &workers[t]);
    for (int t = 0; t < threads; t++) pthread_join(workers[t].thread, NULL);
  }
  double seconds = now_s() - t_started;
  if (seconds <= 0) seconds = 1e-9;
  double loader_cpu = (cpu_s(RUSAGE_SELF) - cpu_at_start) / seconds;
  double s1 = server_cpu_s();
  double server_cpu = server_cpu_at_start >= 0 && s1 >= 0 ? (s1 - server_cpu_at_start) / seconds : -1;

  uint64_t hist[HIST_BUCKETS] = {0};
  uint64_t replies = 0, errors = 0;
  double busiest = 0;
  for (int t = 0; t < threads; t++) {
    if (workers[t].cpu_measured / seconds > busiest) busiest = workers[t].cpu_measured / seconds;
    replies += workers[t].replies;
    errors += workers[t].errors;
    for (int i = 0; i < HIST_BUCKETS; i++) hist[i] += workers[t].hist[i];
  }
  for (int i = 0; i < connections; i++)
    if (!conns[i].dead) close(conns[i].fd);
  if (interrupted) fprintf(stderr, "loadgen: interrupted after %.1f s\n", seconds);
  double msgs_per_s = replies / seconds;
  print_result("echo", msgs_per_s, msgs_per_s * (double)size / 1e6, hist, replies, errors, loader_cpu, busiest, server_cpu,
               -1, -1, -1, seconds);
  return errors ? 1 : 0;
}
