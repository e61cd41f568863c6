/*
 * Baseline: a minimal single-threaded epoll echo server on a Unix domain socket, doing the work
 * of the product's echo handler and nothing more. Length framing: a 4-byte unsigned big-endian
 * payload length N, then N bytes; every frame gets one reply frame carrying prefix + payload.
 *
 * Per connection: one input buffer (frames are parsed in place, a partial frame is moved to the
 * front) and one output buffer. All replies of a read go out in one writev: small replies copied
 * into the output buffer, large payloads (> 4 KiB) written straight from the input buffer, never
 * copied in user space. Non-blocking, level triggered; what a write leaves over is kept and waits
 * for EPOLLOUT, and a connection whose peer does not read its replies is not read from until its
 * output drains. Buffers are allocated on first use, so an idle connection costs one small struct.
 *
 * Build: gcc -O2 -o echo_c echo.c
 * Run:   ./echo_c PATH [PREFIX [MAX_FRAME]]   (prints "listening on PATH" when ready)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#define READ_CHUNK (64 * 1024)
#define OUT_HIGH_WATER (4 * 1024 * 1024)
#define MAX_EVENTS 256
#define COPY_MAX 4096 /* payloads up to this are copied into the reply buffer; larger ones are not */
#define MAX_SEGS 512

struct conn {
  int fd;
  int reading; /* EPOLLIN armed */
  int writing; /* EPOLLOUT armed */
  char *in;
  size_t in_len, in_cap;
  char *out;
  size_t out_off, out_len, out_cap;
};

static const char *prefix = "echo:";
static size_t prefix_len;
static uint32_t max_frame = 10 * 1024 * 1024;
static int ep;
static volatile sig_atomic_t stop;
static const char *sock_path;

static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

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

static void close_conn(struct conn *c) {
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c->in);
  free(c->out);
  free(c);
}

static void arm(struct conn *c) {
  struct epoll_event ev = {0};
  c->writing = c->out_len > c->out_off;
  c->reading = c->out_len - c->out_off < OUT_HIGH_WATER;
  ev.events = (c->reading ? EPOLLIN : 0) | (c->writing ? EPOLLOUT : 0) | EPOLLRDHUP;
  ev.data.ptr = c;
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes what is pending; returns -1 when the connection is gone. */
static int flush_out(struct conn *c) {
  while (c->out_off < c->out_len) {
    ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
    if (n > 0) {
      c->out_off += (size_t)n;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      break;
    } else {
      return -1;
    }
  }
  if (c->out_off == c->out_len) {
    c->out_off = c->out_len = 0;
  }
  return 0;
}

/* Appends a reply's header and the prefix to the output buffer. */
static int put_head(struct conn *c, uint32_t n) {
  if (reserve(&c->out, &c->out_cap, c->out_len + 4 + prefix_len) < 0) return -1;
  unsigned char *o = (unsigned char *)c->out + c->out_len;
  uint32_t rn = (uint32_t)(prefix_len + n);
  o[0] = rn >> 24;
  o[1] = rn >> 16;
  o[2] = rn >> 8;
  o[3] = rn;
  memcpy(o + 4, prefix, prefix_len);
  c->out_len += 4 + prefix_len;
  return 0;
}

/* What one writev sends: spans of the output buffer (headers, small replies) and of the input
 * buffer (large payloads, never copied), by offset: the buffers may move while they are built. */
struct seg {
  int from_in;
  size_t off, len;
};
static struct seg segs[MAX_SEGS];
static int nsegs;

static void add_seg(int from_in, size_t off, size_t len) {
  struct seg *last = nsegs > 0 ? &segs[nsegs - 1] : NULL;
  if (last && !from_in && !last->from_in && last->off + last->len == off) {
    last->len += len;
    return;
  }
  segs[nsegs].from_in = from_in;
  segs[nsegs].off = off;
  segs[nsegs].len = len;
  nsegs++;
}

/* Writes the segments; what the socket does not take is copied into a fresh output buffer, since
 * the input buffer is about to be compacted. Returns -1 when the connection is gone. */
static int write_segs(struct conn *c) {
  struct iovec iov[MAX_SEGS];
  int first = 0;
  for (int i = 0; i < nsegs; i++) {
    iov[i].iov_base = (segs[i].from_in ? c->in : c->out) + segs[i].off;
    iov[i].iov_len = segs[i].len;
  }
  while (first < nsegs) {
    ssize_t n = writev(c->fd, iov + first, nsegs - first);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      nsegs = 0;
      return -1;
    }
    size_t w = (size_t)n;
    while (first < nsegs && w >= iov[first].iov_len) w -= iov[first++].iov_len;
    if (first < nsegs) {
      iov[first].iov_base = (char *)iov[first].iov_base + w;
      iov[first].iov_len -= w;
    }
  }
  int count = nsegs;
  size_t rest = 0;
  for (int i = first; i < count; i++) rest += iov[i].iov_len;
  nsegs = 0;
  if (rest == 0) {
    c->out_off = c->out_len = 0;
    return 0;
  }
  size_t cap = rest < 4096 ? 4096 : rest;
  char *buf = malloc(cap);
  if (!buf) return -1;
  size_t at = 0;
  for (int i = first; i < count; i++) {
    memcpy(buf + at, iov[i].iov_base, iov[i].iov_len);
    at += iov[i].iov_len;
  }
  free(c->out);
  c->out = buf;
  c->out_cap = cap;
  c->out_off = 0;
  c->out_len = rest;
  return 0;
}

/* Turns the complete frames in the input buffer into replies. With no output pending, the replies
 * go out at once with writev, large payloads straight from the input buffer; behind pending
 * output everything is copied and queued. Returns -1 on a too-large frame or a dead connection. */
static int process(struct conn *c) {
  size_t pos = 0;
  int direct = c->out_off == c->out_len;
  if (direct) c->out_off = c->out_len = 0;
  if (!direct && c->out_off >= c->out_len - c->out_off) {
    /* Behind pending output, replies are appended: move what is unsent to the front once as much
     * has been sent, or under steady load the buffer grows without bound and realloc copies it. */
    memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
    c->out_len -= c->out_off;
    c->out_off = 0;
  }
  while (c->in_len - pos >= 4) {
    const unsigned char *h = (const unsigned char *)c->in + pos;
    uint32_t n = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
    if (n > max_frame) {
      fprintf(stderr, "echo_c: fd %d sent a frame of %u bytes, more than max-frame %u: closing it\n",
              c->fd, n, max_frame);
      return -1;
    }
    if (c->in_len - pos < 4 + (size_t)n) break;
    size_t head_at = c->out_len;
    if (put_head(c, n) < 0) return -1;
    if (direct && n > COPY_MAX) {
      add_seg(0, head_at, 4 + prefix_len);
      add_seg(1, pos + 4, n);
    } else {
      if (reserve(&c->out, &c->out_cap, c->out_len + n) < 0) return -1;
      memcpy(c->out + c->out_len, c->in + pos + 4, n);
      c->out_len += n;
      if (direct) add_seg(0, head_at, 4 + prefix_len + n);
    }
    pos += 4 + n;
    if (direct && nsegs >= MAX_SEGS - 2) {
      if (write_segs(c) < 0) return -1;
      direct = c->out_len == 0;
    }
  }
  if (direct && nsegs > 0 && write_segs(c) < 0) return -1;
  if (pos > 0) {
    memmove(c->in, c->in + pos, c->in_len - pos);
    c->in_len -= pos;
  }
  return 0;
}

/* Reads what is there (up to a few chunks), echoes it; returns -1 when the connection is done. */
static int on_readable(struct conn *c) {
  for (int round = 0; round < 4; round++) {
    size_t want = READ_CHUNK;
    if (c->in_len >= 4) { /* read a large frame whole */
      const unsigned char *h = (const unsigned char *)c->in;
      uint32_t n = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
      if (n <= max_frame && 4 + (size_t)n > c->in_len + want) want = 4 + (size_t)n - c->in_len;
    }
    if (reserve(&c->in, &c->in_cap, c->in_len + want) < 0) return -1;
    size_t space = c->in_cap - c->in_len;
    ssize_t n = read(c->fd, c->in + c->in_len, space);
    if (n == 0) return -1;
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return -1;
    }
    c->in_len += (size_t)n;
    if (process(c) < 0) return -1;
    if ((size_t)n < space) break; /* short read: nothing more for now */
  }
  if (flush_out(c) < 0) return -1;
  if (c->in_len == 0 && c->in_cap > READ_CHUNK * 4) { /* give back a large frame's buffer */
    free(c->in);
    c->in = NULL;
    c->in_cap = 0;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 4) {
    fprintf(stderr, "usage: %s PATH [PREFIX [MAX_FRAME]]\n", argv[0]);
    return 2;
  }
  sock_path = argv[1];
  if (argc > 2) prefix = argv[2];
  if (argc > 3) max_frame = (uint32_t)strtoul(argv[3], NULL, 10);
  prefix_len = strlen(prefix);

  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);

  struct sockaddr_un addr = {0};
  addr.sun_family = AF_UNIX;
  if (strlen(sock_path) >= sizeof(addr.sun_path)) {
    fprintf(stderr, "echo_c: path longer than %zu bytes: %s\n", sizeof(addr.sun_path) - 1, sock_path);
    return 1;
  }
  strcpy(addr.sun_path, sock_path);
  struct stat st;
  if (lstat(sock_path, &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      fprintf(stderr, "echo_c: %s exists and is not a socket\n", sock_path);
      return 1;
    }
    unlink(sock_path);
  }
  int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(lfd, 4096) < 0) {
    fprintf(stderr, "echo_c: cannot serve %s: %s\n", sock_path, strerror(errno));
    return 1;
  }
  ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
  printf("listening on %s (C epoll baseline, length framing)\n", sock_path);
  fflush(stdout);

  struct epoll_event events[MAX_EVENTS];
  while (!stop) {
    int n = epoll_wait(ep, events, MAX_EVENTS, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("echo_c: epoll_wait");
      break;
    }
    for (int i = 0; i < n; i++) {
      struct conn *c = events[i].data.ptr;
      if (c == NULL) { /* listener */
        for (;;) {
          int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
              fprintf(stderr, "echo_c: accept: %s\n", strerror(errno));
            break;
          }
          struct conn *nc = calloc(1, sizeof(*nc));
          if (!nc) {
            close(fd);
            continue;
          }
          nc->fd = fd;
          nc->reading = 1;
          struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = nc};
          if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            close(fd);
            free(nc);
          }
        }
        continue;
      }
      uint32_t e = events[i].events;
      int dead = 0;
      if (e & EPOLLOUT) dead = flush_out(c) < 0;
      if (!dead && (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) dead = on_readable(c) < 0;
      if (dead) {
        close_conn(c);
        continue;
      }
      int want_out = c->out_len > c->out_off;
      int want_read = c->out_len - c->out_off < OUT_HIGH_WATER;
      if (want_out != c->writing || want_read != c->reading) arm(c);
    }
  }
  close(lfd);
  unlink(sock_path);
  return 0;
}
