package dev.jemma.generate;

import dev.jemma.JemmaException;
import dev.jemma.model.KVType;
import dev.jemma.model.PrefixCache;

/**
 * How a session holds its context: how many positions, the KV cache's storage type, whether a
 * prompt too long for the context is cut from the left (keeping BOS) instead of refused, and an
 * optional prefix cache shared with other sessions.
 */
public record ContextConfig(int contextLength, KVType kvType, boolean truncateLeft, PrefixCache prefixCache) {
    public ContextConfig {
        if (contextLength < 1) throw new JemmaException("context length must be ≥ 1, got " + contextLength);
        if (kvType == null) throw new JemmaException("KV type must be given");
        if (prefixCache != null && prefixCache.kvType() != kvType) {
            throw new JemmaException("the prefix cache stores " + prefixCache.kvType().id() + " but the session uses " + kvType.id());
        }
    }

    public static ContextConfig of(int contextLength) {
        return new ContextConfig(contextLength, KVType.F32, false, null);
    }

    public ContextConfig withKvType(KVType t) {
        return new ContextConfig(contextLength, t, truncateLeft, prefixCache);
    }

    public ContextConfig withTruncateLeft(boolean b) {
        return new ContextConfig(contextLength, kvType, b, prefixCache);
    }

    public ContextConfig withPrefixCache(PrefixCache p) {
        return new ContextConfig(contextLength, p == null ? kvType : p.kvType(), truncateLeft, p);
    }
}
