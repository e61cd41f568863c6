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

static int seconds = 20;
static int interval_ms = 500;
static int intervals;
static double *work; /* [cpu][interval]: units of work done */

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

struct job {
  int cpu;
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
  for (int i = 0; i < intervals; i++) {
    double end = job->start + (i + 1) * interval_ms / 1000.0;
    unsigned long units = 0;
    while (now() < end) {
      for (int k = 0; k < 1000; k++) {
        sink += k;
      }
      units++;
    }
    work[job->cpu * intervals + i] = units;
  }
  return NULL;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc > 1 && (argv[1][0] == '-' || atoi(argv[1]) <= 0)) {
    fprintf(stderr, "usage: cpuspeed [SECONDS (20)] [INTERVAL_MS (500)]\n");
    return 2;
  }
  if (argc > 1) seconds = atoi(argv[1]);
  if (argc > 2) interval_ms = atoi(argv[2]);
  if (interval_ms <= 0) {
    fprintf(stderr, "cpuspeed: INTERVAL_MS must be a positive number\n");
    return 2;
  }
  intervals = seconds * 1000 / interval_ms;
  if (intervals < 1 || intervals > 100000) {
    fprintf(stderr, "cpuspeed: SECONDS / INTERVAL_MS gives %d intervals: keep it within 1..100000\n", intervals);
    return 2;
  }
  double *sorted = calloc((size_t)intervals, sizeof *sorted);
  int cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
  work = calloc((size_t)cpus * intervals, sizeof *work);
  pthread_t *threads = calloc(cpus, sizeof *threads);
  struct job *jobs = calloc(cpus, sizeof *jobs);
  double start = now() + 0.05;
  for (int c = 0; c < cpus; c++) {
    jobs[c] = (struct job){c, start};
    pthread_create(&threads[c], NULL, spin, &jobs[c]);
  }
  for (int c = 0; c < cpus; c++) {
    pthread_join(threads[c], NULL);
  }
  double best = 0;
  for (int i = 0; i < cpus * intervals; i++) {
    if (work[i] > best) best = work[i];
  }
  printf("# seconds");
  for (int c = 0; c < cpus; c++) printf("  cpu%d", c);
  printf("   (work per %d ms, 1.00 = the best interval seen)\n", interval_ms);
  for (int i = 0; i < intervals; i++) {
    printf("%9.1f", (i + 1) * interval_ms / 1000.0);
    for (int c = 0; c < cpus; c++) printf("  %4.2f", work[c * intervals + i] / best);
    printf("\n");
  }
  for (int c = 0; c < cpus; c++) {
    for (int i = 0; i < intervals; i++) sorted[i] = work[c * intervals + i] / best;
    qsort(sorted, intervals, sizeof *sorted, by_value);
    printf("# cpu%d: lowest %.2f, median %.2f\n", c, sorted[0], sorted[intervals / 2]);
  }
  return 0;
}
