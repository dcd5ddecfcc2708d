package dev.jemma.cli;

import dev.jemma.JemmaException;
import dev.jemma.generate.ContextConfig;
import dev.jemma.model.Gemma3Model;
import dev.jemma.model.KVType;
import picocli.CommandLine.Option;

/** --ctx, --kv-type and --truncate, shared by the commands that hold a conversation. */
final class ContextOptions {
    @Option(names = "--ctx", description = "context length in tokens (default: the model's trained maximum)")
    int ctx;
    @Option(names = "--kv-type", description = "KV cache storage: f32 (default), f16 or q8_0")
    String kvType = "f32";
    @Option(names = "--truncate", description = "cut a prompt too long for the context from the left (keeping BOS) instead of failing")
    boolean truncate;

    ContextConfig config(Gemma3Model m) {
        int max = m.config.contextLength();
        if (ctx < 0 || ctx > max) throw new JemmaException("--ctx " + ctx + " must be between 1 and the model's maximum " + max);
        return new ContextConfig(ctx == 0 ? max : ctx, KVType.parse(kvType), truncate, null);
    }
}
