package dev.jemma.model;

import dev.jemma.Trace;

/**
 * Runs the forward pass's own Java kernels (attention scores and values, RMS norm, RoPE, GELU, the residual add,
 * the KV cache's rows) on small dummy inputs on a background thread while a model loads, so they are compiled by
 * the time the first prompt arrives. Their Vector API code runs a hundred times slower interpreted or in C1 code
 * (it is intrinsified by C2 only), and a one-shot command's first prefill otherwise spends most of its time there:
 * on the 270M, 20 prompt tokens took ~470 ms cold against ~85 ms warm, 170 ms of it in attention. The products'
 * kernels have their own warm-up ({@link KernelWarmup}); this one covers what runs between them.
 *
 * <p>Load-time only: it does a fixed number of rounds or stops when asked, allocates only at its start, and gives up
 * silently on any failure (it is only an optimization).
 */
final class ForwardWarmup implements Runnable {
    /** C2 compiles a method after ~5,000 calls or ~15,000 calls and loop iterations (HotSpot's tier-4 thresholds) */
    private static final int ROUNDS = 4_000;
    /** keys per attention call: two passes of four and a remainder, as a short prompt's blocks have */
    private static final int KEYS = 11;
    /** GELU elements per call: a short range keeps the interpreted first calls cheap */
    private static final int GELU_SPAN = 64;

    private final GemmaConfig config;
    private final Thread thread;
    private volatile boolean stop;

    private ForwardWarmup(GemmaConfig config) {
        this.config = config;
        thread = new Thread(this, "jemma-forward-warmup");
        thread.setDaemon(true);
    }

    /** Starts warming up unless {@code -Djemma.warmup=false}; returns a handle to stop it, or null. */
    static ForwardWarmup start(GemmaConfig config) {
        if (!Boolean.parseBoolean(System.getProperty("jemma.warmup", "true"))) return null;
        ForwardWarmup w = new ForwardWarmup(config);
        w.thread.start();
        return w;
    }

    void stop() {
        stop = true;
    }

    @Override
    public void run() {
        try {
            // Short rows (two vectors) keep each call cheap before C2 has compiled it: what tips a method into C2 is
            // its number of calls and loop turns, not their length.
            int lanes = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
            int hd = 4 * lanes, half = hd / 2, keys = 2 * KEYS;
            Activations.AttentionScratch scratch = new Activations.AttentionScratch(config);
            // four queries (the attention's register tiles take four), the fifth alone
            int queries = Math.min(5, scratch.max.length);
            float[] kBlock = new float[keys * hd], vBlock = new float[keys * hd], q = new float[queries * hd], out = new float[queries * hd];
            float[] norm = new float[hd], x = new float[hd], y = new float[hd], cos = new float[half], sin = new float[half];
            float[] gate = new float[GELU_SPAN], up = new float[GELU_SPAN];
            for (int i = 0; i < kBlock.length; i++) {
                kBlock[i] = (i % 13 - 6) * 0.01f;
                vBlock[i] = (i % 7 - 3) * 0.02f;
            }
            java.util.Arrays.fill(norm, 1.01f);
            for (int i = 0; i < half; i++) {
                cos[i] = (float) Math.cos(i * 0.01);
                sin[i] = (float) Math.sin(i * 0.01);
            }
            KVCache cache = new KVCache(config, 2 * Attention.KEY_BLOCK, Attention.TOKEN_BLOCK, KVType.F32);
            float[] kv = new float[config.kvDim()];
            Activations.AttentionScratch small = new Activations.AttentionScratch(scratch, kBlock, vBlock);
            for (int round = 0; round < ROUNDS && !stop; round++) {
                for (int i = 0; i < hd; i++) {
                    q[i] = ((i + round) % 9 - 4) * 0.05f;
                    x[i] = ((i + round) % 11 - 5) * 0.1f;
                }
                for (int i = 0; i < GELU_SPAN; i++) {
                    gate[i] = ((i + round) % 17 - 8) * 0.25f;
                    up[i] = (i % 3 - 1) * 0.5f;
                }
                Ops.rmsNorm(q, 0, q, 0, norm, hd, 1e-6f);
                Attention.rope(q, 0, cos, sin, 0, half);
                for (int i = 1; i < queries; i++) System.arraycopy(q, 0, q, i * hd, hd);
                java.util.Arrays.fill(out, 0f);
                for (int i = 0; i < queries; i++) {
                    small.max[i] = Float.NEGATIVE_INFINITY;
                    small.sum[i] = 0f;
                    small.query[i] = i;
                    small.qOff[i] = i * hd;
                    small.from[i] = i == 1 ? 1 : 0;
                    small.to[i] = KEYS;
                }
                Attention.attendBlock(small, queries, q, out, 0.0625f, hd);
                for (int i = 0; i < queries; i++) {
                    small.from[i] = KEYS;
                    small.to[i] = keys;
                }
                Attention.attendBlock(small, queries, q, out, 0.0625f, hd);
                Attention.scale(out, 0, hd, 1f / small.sum[0]);
                Ops.rmsNorm(y, 0, x, 0, norm, hd, 1e-6f);
                Ops.addInPlace(x, 0, y, 0, hd);
                Ops.geluTanhMul(gate, up, 0, GELU_SPAN);
                if ((round & 15) == 0) {
                    cache.write(0, round % cache.length[0], kv, 0, kv, 0);
                    cache.readKeys(0, 0, 0, KEYS, scratch.keys);
                    cache.readValues(0, 0, 0, KEYS, scratch.values);
                }
            }
            Trace.mark("forward kernels warm");
        } catch (RuntimeException | Error e) {
            // only an optimization
        }
    }
}
