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
    private static final int GELU_SPAN = 16;

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
            int hd = 2 * lanes, half = hd / 2, keys = 2 * KEYS;
            Activations.AttentionScratch scratch = new Activations.AttentionScratch(config);
            // one query per round; every fourth round also five queries of four vectors (the values' register tile
            // takes four queries and four vectors of columns; the fifth query goes alone)
            int queries = Math.min(5, scratch.max.length), wide = 4 * lanes;
            float[] kBlock = new float[keys * hd], vBlock = new float[keys * hd], q = new float[hd], out = new float[hd];
            float[] kWide = new float[keys * wide], vWide = new float[keys * wide], qWide = new float[queries * wide];
            float[] outWide = new float[queries * wide];
            float[] norm = new float[hd], x = new float[hd], y = new float[hd], cos = new float[half], sin = new float[half];
            float[] gate = new float[GELU_SPAN], up = new float[GELU_SPAN];
            for (int i = 0; i < kBlock.length; i++) {
                kBlock[i] = (i % 13 - 6) * 0.01f;
                vBlock[i] = (i % 7 - 3) * 0.02f;
            }
            for (int i = 0; i < kWide.length; i++) {
                kWide[i] = (i % 11 - 5) * 0.01f;
                vWide[i] = (i % 5 - 2) * 0.02f;
            }
            java.util.Arrays.fill(norm, 1.01f);
            for (int i = 0; i < half; i++) {
                cos[i] = (float) Math.cos(i * 0.01);
                sin[i] = (float) Math.sin(i * 0.01);
            }
            KVCache cache = new KVCache(config, 2 * Attention.KEY_BLOCK, Attention.TOKEN_BLOCK, KVType.F32);
            float[] kv = new float[config.kvDim()];
            Activations.AttentionScratch small = new Activations.AttentionScratch(scratch, kBlock, vBlock);
            Activations.AttentionScratch four = new Activations.AttentionScratch(scratch, kWide, vWide);
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
                java.util.Arrays.fill(out, 0f);
                attend(small, 1, q, out, hd, keys);
                Attention.scale(out, 0, hd, 1f / small.sum[0]);
                if ((round & 15) == 0) {
                    for (int i = 0; i < qWide.length; i++) qWide[i] = q[i % hd];
                    java.util.Arrays.fill(outWide, 0f);
                    attend(four, queries, qWide, outWide, wide, keys);
                }
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

    /** n queries (rows of hd in q and out) over two blocks of keys, the first KEYS and the rest, as a short prompt's. */
    private static void attend(Activations.AttentionScratch s, int n, float[] q, float[] out, int hd, int keys) {
        for (int i = 0; i < n; i++) {
            s.max[i] = Float.NEGATIVE_INFINITY;
            s.sum[i] = 0f;
            s.query[i] = i;
            s.qOff[i] = i * hd;
            s.from[i] = i == 1 ? 1 : 0;
            s.to[i] = KEYS;
        }
        Attention.attendBlock(s, n, q, out, 0.0625f, hd);
        for (int i = 0; i < n; i++) {
            s.from[i] = KEYS;
            s.to[i] = keys;
        }
        Attention.attendBlock(s, n, q, out, 0.0625f, hd);
    }
}
