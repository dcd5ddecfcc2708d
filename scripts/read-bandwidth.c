/*
 * The memory roofline's other measure (scripts/bench-roofline.sh): read bandwidth from C, where software prefetch
 * can be issued, which the JVM cannot. THREADS threads each sum their contiguous share of a MIB MiB buffer
 * (2 MiB-aligned, advised for huge pages, written once first) with the widest vector loads the compiler targets,
 * prefetching into L1 0, 1, 2 or 4 KiB ahead, alone or with a second prefetch into L2 4 or 8 KiB ahead (as the
 * interleaved kernels do); the best of REPS passes per setting, and the best setting, are reported.
 * stdout: the best rate in bytes per second; stderr: each setting's best.
 * Build: cc -O2 -march=native -pthread scripts/read-bandwidth.c -o read-bandwidth
 * Usage: read-bandwidth [THREADS] [MIB] [REPS]
 */
#define _GNU_SOURCE
#include <immintrin.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static const uint8_t *buffer;
static size_t share;
static int ahead, far;
static pthread_barrier_t start, done;
static volatile double sums[256]; /* one per thread: the sums are kept, so the reads are not optimised away */

static double sum(const uint8_t *p, size_t n) {
#ifdef __AVX512F__
    __m512 a = _mm512_setzero_ps(), b = a, c = a, d = a;
    for (size_t i = 0; i < n; i += 256) {
        if (ahead) for (int l = 0; l < 256; l += 64) _mm_prefetch((const char *) p + i + ahead + l, _MM_HINT_T0);
        if (far) for (int l = 0; l < 256; l += 64) _mm_prefetch((const char *) p + i + far + l, _MM_HINT_T1);
        a = _mm512_add_ps(a, _mm512_load_ps(p + i));
        b = _mm512_add_ps(b, _mm512_load_ps(p + i + 64));
        c = _mm512_add_ps(c, _mm512_load_ps(p + i + 128));
        d = _mm512_add_ps(d, _mm512_load_ps(p + i + 192));
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a, b), _mm512_add_ps(c, d)));
#else
    __m256 a = _mm256_setzero_ps(), b = a, c = a, d = a;
    for (size_t i = 0; i < n; i += 128) {
        if (ahead) for (int l = 0; l < 128; l += 64) _mm_prefetch((const char *) p + i + ahead + l, _MM_HINT_T0);
        if (far) for (int l = 0; l < 128; l += 64) _mm_prefetch((const char *) p + i + far + l, _MM_HINT_T1);
        a = _mm256_add_ps(a, _mm256_load_ps((const float *) (p + i)));
        b = _mm256_add_ps(b, _mm256_load_ps((const float *) (p + i + 32)));
        c = _mm256_add_ps(c, _mm256_load_ps((const float *) (p + i + 64)));
        d = _mm256_add_ps(d, _mm256_load_ps((const float *) (p + i + 96)));
    }
    float s[8];
    _mm256_storeu_ps(s, _mm256_add_ps(_mm256_add_ps(a, b), _mm256_add_ps(c, d)));
    return s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7];
#endif
}

static void *worker(void *arg) {
    size_t id = (size_t) arg;
    for (;;) {
        pthread_barrier_wait(&start);
        if (buffer == NULL) return NULL;
        sums[id] += sum(buffer + id * share, share);
        pthread_barrier_wait(&done);
    }
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    size_t mib = argc > 2 ? (size_t) atol(argv[2]) : 1024;
    int reps = argc > 3 ? atoi(argv[3]) : 5;
    if (threads < 1 || threads > 256 || mib < 64 || reps < 1) {
        fprintf(stderr, "usage: read-bandwidth [THREADS 1..256] [MIB >= 64] [REPS >= 1]\n");
        return 2;
    }
    size_t bytes = mib << 20;
    share = bytes / threads / 4096 * 4096;
    uint8_t *b = aligned_alloc(2 << 20, bytes + 16384);
    if (b == NULL) {
        fprintf(stderr, "read-bandwidth: cannot allocate %zu MiB\n", mib);
        return 1;
    }
    madvise(b, bytes, MADV_HUGEPAGE);
    memset(b, 1, bytes + 16384);
    pthread_barrier_init(&start, NULL, threads + 1);
    pthread_barrier_init(&done, NULL, threads + 1);
    pthread_t t[256];
    for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, worker, (void *) (size_t) i);
    static const int settings[][2] = {{0, 0}, {1024, 0}, {2048, 0}, {4096, 0}, {1024, 4096}, {2048, 4096}, {2048, 8192}};
    double best = 0;
    for (int k = 0; k < (int) (sizeof settings / sizeof settings[0]); k++) {
        ahead = settings[k][0];
        far = settings[k][1];
        double bestHere = 0;
        for (int r = 0; r <= reps; r++) { /* pass 0 warms up */
            buffer = b;
            double t0 = now();
            pthread_barrier_wait(&start);
            pthread_barrier_wait(&done);
            double rate = share * threads / (now() - t0);
            if (r > 0 && rate > bestHere) bestHere = rate;
        }
        fprintf(stderr, "prefetch %4d B ahead, into L2 %4d B ahead: %.2f GB/s\n", ahead, far, bestHere / 1e9);
        if (bestHere > best) best = bestHere;
    }
    buffer = NULL;
    pthread_barrier_wait(&start);
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    printf("%.0f\n", best);
    return 0;
}
