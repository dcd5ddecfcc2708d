/*
 * Jemma's optional native kernels: which of them this CPU can run. Compiled for the baseline x86-64, so it is safe
 * to call on any machine; the Java side calls it before any other symbol of the library.
 */
#include <stdint.h>

/* The library's interface version: the Java side refuses a library of another version. */
int32_t jk_version(void) { return 3; }

/* Bit 0: the AVX2 kernels can run (AVX2, FMA and F16C). Bit 1: AVX-512 VNNI with 256-bit vectors is present too. */
int32_t jk_features(void) {
    int32_t f = 0;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) f |= 1;
    if ((f & 1) && __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw")) f |= 2;
#endif
    return f;
}
