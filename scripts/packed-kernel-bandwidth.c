/*
 * How fast the native interleaved kernels stream weights, apart from the JVM and the rest of a decode step: THREADS
 * threads each run jk_vnni_matmul_packed for one token over their share of ROWS × COLS weights of TYPE (ggml type
 * id: 2 Q4_0, 6 Q5_0, 8 Q8_0, 12 Q4_K, 14 Q6_K) in the interleaved layout, REPS times a pass; the best of five passes
 * is printed in GB/s of weights. The weights are arbitrary bytes in 2 MiB-aligned memory advised for huge pages (the
 * model's block is the same), so the figure is a speed, not a result. A matrix larger than the last-level cache
 * measures streaming from memory (compare scripts/read-bandwidth.c); one that fits in L2, with REPS in the
 * thousands, the kernel's arithmetic alone.
 * Build (after `mvn package`, which builds the library):
 *   lib=jemma-core/target/classes/dev/jemma/tensor/native/linux-x86_64
 *   cc -O2 -pthread scripts/packed-kernel-bandwidth.c $lib/libjemma_kernels.so -Wl,-rpath,$PWD/$lib -o packed-kernel-bandwidth
 * Usage: packed-kernel-bandwidth TYPE ROWS COLS THREADS REPS   (e.g. 2 524288 1152 1 1: a 340 MB Q4_0 matrix)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

int32_t jk_vnni_matmul_packed(int32_t type, const uint8_t *packed, int32_t r0, int32_t r1, int32_t cols, const uint8_t *xq,
                              int64_t xqStride, int32_t tokens, float *out, int64_t outOff, int64_t outStride);
int64_t jk_vnni_packed_bytes(int32_t type, int32_t rows, int32_t cols);

typedef struct {
    int type, r0, r1, cols, reps;
    const uint8_t *packed, *xq;
    int64_t xqStride;
    float *out;
} slice;

static void *run(void *arg) {
    slice *s = arg;
    for (int i = 0; i < s->reps; i++)
        jk_vnni_matmul_packed(s->type, s->packed, s->r0, s->r1, s->cols, s->xq, s->xqStride, 1, s->out, s->r0, 0);
    return NULL;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: packed-kernel-bandwidth TYPE ROWS COLS THREADS REPS\n");
        return 2;
    }
    int type = atoi(argv[1]), rows = atoi(argv[2]), cols = atoi(argv[3]), threads = atoi(argv[4]), reps = atoi(argv[5]);
    int64_t bytes = jk_vnni_packed_bytes(type, rows, cols);
    if (bytes <= 0 || rows < 16 || threads < 1 || threads > 64 || reps < 1) {
        fprintf(stderr, "packed-kernel-bandwidth: no interleaved form of type %d at %d × %d, or bad threads/reps\n", type, rows, cols);
        return 2;
    }
    size_t size = ((size_t) bytes + (2u << 20) - 1) & ~((size_t) (2u << 20) - 1);
    uint8_t *packed = aligned_alloc(2u << 20, size);
    /* Q8_0-with-total activations (40 bytes a block of 32) or Q8_K (292 bytes a block of 256), both ample */
    int64_t xqStride = (int64_t) cols / 32 * 40 > (int64_t) cols / 256 * 292 ? (int64_t) cols / 32 * 40 : (int64_t) cols / 256 * 292;
    uint8_t *xq = aligned_alloc(64, (size_t) (xqStride + 63) / 64 * 64);
    float *out = aligned_alloc(64, ((size_t) rows * sizeof(float) + 63) / 64 * 64);
    if (packed == NULL || xq == NULL || out == NULL) {
        fprintf(stderr, "packed-kernel-bandwidth: out of memory\n");
        return 1;
    }
    madvise(packed, size, MADV_HUGEPAGE);
    for (size_t i = 0; i < size; i++) packed[i] = (uint8_t) ((i * 2654435761u) >> 13);
    memset(xq, 1, (size_t) xqStride);
    /* each activation block's f32 scale 1.0: products then stay normal floats (a denormal one costs Intel cores a
     * microcode assist, which would time something decoding never does) */
    int kBlocks = type == 12 || type == 14;
    int64_t blockBytes = kBlocks ? 292 : 40, blocks = kBlocks ? cols / 256 : cols / 32;
    const float one = 1.0f;
    for (int64_t b = 0; b < blocks; b++) memcpy(xq + b * blockBytes, &one, 4);
    pthread_t t[64];
    slice s[64];
    for (int i = 0; i < threads; i++) {
        int r0 = (int) ((int64_t) rows * i / threads / 16 * 16), r1 = i + 1 == threads ? rows : (int) ((int64_t) rows * (i + 1) / threads / 16 * 16);
        s[i] = (slice) {type, r0, r1, cols, 1, packed, xq, xqStride, out};
        run(&s[i]); /* touches every page once */
        s[i].reps = reps;
    }
    double best = 1e30;
    for (int k = 0; k < 5; k++) {
        double t0 = now();
        for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, run, &s[i]);
        for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
        double dt = now() - t0;
        if (dt < best) best = dt;
    }
    printf("type %d, %d × %d (%.1f MB), %d threads: %.2f GB/s\n", type, rows, cols, bytes / 1e6, threads, (double) bytes * reps / best / 1e9);
    return 0;
}
