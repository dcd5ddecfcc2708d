package dev.jemma.batch;

import dev.jemma.generate.Speculation;

import dev.jemma.JemmaException;
import dev.jemma.model.KVType;
import dev.jemma.model.PrefixCache;

/**
 * How a {@link BatchScheduler} shares one model between concurrent requests.
 *
 * @param maxSlots      sequences decoded together in one step (each with its own KV cache)
 * @param maxQueue      requests waiting for a slot before {@link QueueFullException}
 * @param contextLength positions per sequence (prompt + generated)
 * @param kvType        KV cache storage of each slot
 * @param prefixCache   prompt prefixes shared between requests, or null
 * @param speculation   speculative decoding for every request (each slot drafts for its own stream), or null
 */
public record BatchConfig(int maxSlots, int maxQueue, int contextLength, KVType kvType, PrefixCache prefixCache,
                          Speculation speculation) {
    public BatchConfig(int maxSlots, int maxQueue, int contextLength, KVType kvType, PrefixCache prefixCache) {
        this(maxSlots, maxQueue, contextLength, kvType, prefixCache, null);
    }

    public BatchConfig {
        if (maxSlots < 1 || maxSlots > 256) throw new JemmaException("slots must be in [1, 256], got " + maxSlots);
        if (maxQueue < 0) throw new JemmaException("queue size must be ≥ 0, got " + maxQueue);
        if (contextLength < 2) throw new JemmaException("context length must be ≥ 2, got " + contextLength);
        if (kvType == null) throw new JemmaException("kvType is required");
    }
}
