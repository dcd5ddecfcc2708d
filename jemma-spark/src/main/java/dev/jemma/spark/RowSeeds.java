package dev.jemma.spark;

import java.nio.charset.StandardCharsets;

/**
 * Each row's sampling seed, from the job's seed and the row's own content (prompt and adapter), never from its
 * partition or position: a retried task, a repartitioned input or another cluster size give every row the seed it
 * had, so its output is the same. Rows with equal prompts and adapters get equal seeds (and, with equal options,
 * equal outputs); a seed column gives each row its own instead.
 */
final class RowSeeds {
    private RowSeeds() {}

    static long of(long jobSeed, String prompt, String adapter) {
        long h = 0xcbf29ce484222325L ^ jobSeed; // FNV-1a over the UTF-8 bytes, then a SplitMix64 finalizer
        h = fnv(h, prompt.getBytes(StandardCharsets.UTF_8));
        h = fnv(h ^ 0xff, adapter == null ? new byte[0] : adapter.getBytes(StandardCharsets.UTF_8));
        h ^= h >>> 30;
        h *= 0xbf58476d1ce4e5b9L;
        h ^= h >>> 27;
        h *= 0x94d049bb133111ebL;
        return h ^ (h >>> 31);
    }

    private static long fnv(long h, byte[] bytes) {
        for (byte b : bytes) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }
}
