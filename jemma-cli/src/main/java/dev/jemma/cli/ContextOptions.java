package dev.jemma.cli;

import dev.jemma.JemmaException;
import dev.jemma.generate.ContextConfig;
import dev.jemma.model.GemmaConfig;
import dev.jemma.model.KVType;
import picocli.CommandLine.Option;

/** --ctx and --kv-type, shared by run, chat, serve, info and bench; the range check itself is the core's. */
public final class ContextOptions {
    @Option(names = "--ctx", description = "context length in tokens (default: the model's trained maximum; serve: at most 8192)")
    Integer ctx;
    @Option(names = "--kv-type", description = "KV cache storage: f32 (default), f16 or q8_0")
    String kvType = "f32";

    /** What can be checked before the model loads. */
    public void checkFlags() {
        if (ctx != null && ctx < 1) throw new JemmaException("--ctx must be ≥ 1, got " + ctx);
        kvType();
    }

    /** --ctx, or null. */
    public Integer ctx() {
        return ctx;
    }

    public KVType kvType() {
        return KVType.parse(kvType);
    }

    /** The context length: --ctx, else {@code defaultLength} capped at the model's maximum. */
    int contextLength(GemmaConfig c, int defaultLength) {
        return c.checkContextLength(ctx != null ? ctx : Math.min(defaultLength, c.contextLength()));
    }

    ContextConfig config(GemmaConfig c, boolean truncate) {
        return new ContextConfig(contextLength(c, c.contextLength()), kvType(), truncate, null);
    }
}
