/*
 * cpuspeed: how much fixed work each CPU gets done, interval by interval, all CPUs at once. On a
 * virtual machine a vCPU's speed is its host's share, which can change under a benchmark without
 * any steal time showing: the sweep's two servers, measured one after the other, then see
 * different machines (bench/NOTES.md, "The sweep's own noise").
 *
 * Build: make -C bench/baseline (or cc -O2 -Wall -pthread -o cpuspeed cpuspeed.c)
 * Run:   bench/baseline/cpuspeed [SECONDS (20)] [INTERVAL_MS (500)]
 * Prints one line per interval: the time, then each CPU's work in that interval relative to the
 * best interval any CPU had in the whole run (1.00 = the fastest seen), and at the end each CPU's
 * lowest and median. Keeps every CPU busy: run it on an otherwise idle machine.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int interval_ms = 500;
static int intervals;
static double *work; /* [cpu][interval]: units of work done */

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

struct job {
  int cpu;   /* the CPU's number, for pinning */
  int slot;  /* its row in work[] */
  double start;
};

static void *spin(void *arg) {
  struct job *job = arg;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(job->cpu, &set);
  if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0) {
    fprintf(stderr, "cpuspeed: cannot pin a thread to CPU %d\n", job->cpu);
    exit(1);
  }
  volatile unsigned long sink = 0;
  while (now() < job->start) {
    /* every thread starts counting at the same moment, and the first interval is as long as the others */
  }
  for (int i = 0; i < intervals; i++) {
    double end = job->start + (i + 1) * interval_ms / 1000.0;
    unsigned long units = 0;
    while (now() < end) {
      for (int k = 0; k < 1000; k++) {
        sink += k;
      }
      units++;
    }
    work[job->slot * intervals + i] = units;
  }
  return NULL;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* A whole positive number, or -1. */
static long positive(const char *text) {
  char *end;
  long value = strtol(text, &end, 10);
  return *text != '\0' && *end == '\0' && value > 0 ? value : -1;
}

int main(int argc, char **argv) {
  long s = argc > 1 ? positive(argv[1]) : 20, ms = argc > 2 ? positive(argv[2]) : 500;
  if (argc > 3 || s < 0 || ms < 0) {
    fprintf(stderr, "usage: cpuspeed [SECONDS (20)] [INTERVAL_MS (500)]\n");
    return 2;
  }
  if (s > 86400 || s * 1000 / ms < 1 || s * 1000 / ms > 100000) {
    fprintf(stderr, "cpuspeed: %ld s in intervals of %ld ms: keep to 1..100000 intervals within a day\n", s, ms);
    return 2;
  }
  interval_ms = (int)ms;
  intervals = (int)(s * 1000 / ms);
  double *sorted = calloc((size_t)intervals, sizeof *sorted);
  /* The CPUs this process may run on (taskset, cgroups), not all the machine has. */
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) {
    perror("cpuspeed: sched_getaffinity");
    return 1;
  }
  int cpus = CPU_COUNT(&allowed);
  work = calloc((size_t)cpus * intervals, sizeof *work);
  pthread_t *threads = calloc(cpus, sizeof *threads);
  struct job *jobs = calloc(cpus, sizeof *jobs);
  int *ids = calloc(cpus, sizeof *ids);
  if (sorted == NULL || work == NULL || threads == NULL || jobs == NULL || ids == NULL) {
    fprintf(stderr, "cpuspeed: out of memory\n");
    return 1;
  }
  double start = now() + 0.05;
  for (int c = 0, slot = 0; c < CPU_SETSIZE && slot < cpus; c++) {
    if (!CPU_ISSET(c, &allowed)) continue;
    ids[slot] = c;
    jobs[slot] = (struct job){c, slot, start};
    if (pthread_create(&threads[slot], NULL, spin, &jobs[slot]) != 0) {
      fprintf(stderr, "cpuspeed: cannot start a thread\n");
      return 1;
    }
    slot++;
  }
  for (int c = 0; c < cpus; c++) {
    pthread_join(threads[c], NULL);
  }
  double best = 0;
  for (int i = 0; i < cpus * intervals; i++) {
    if (work[i] > best) best = work[i];
  }
  printf("# seconds");
  for (int c = 0; c < cpus; c++) printf("  cpu%d", ids[c]);
  printf("   (work per %d ms, 1.00 = the best interval seen)\n", interval_ms);
  for (int i = 0; i < intervals; i++) {
    printf("%9.1f", (i + 1) * interval_ms / 1000.0);
    for (int c = 0; c < cpus; c++) printf("  %4.2f", work[c * intervals + i] / best);
    printf("\n");
  }
  for (int c = 0; c < cpus; c++) {
    for (int i = 0; i < intervals; i++) sorted[i] = work[c * intervals + i] / best;
    qsort(sorted, intervals, sizeof *sorted, by_value);
    printf("# cpu%d: lowest %.2f, median %.2f\n", ids[c], sorted[0], sorted[intervals / 2]);
  }
  return 0;
}
