package dev.jemma.server;

import dev.jemma.batch.BatchMetrics;
import dev.jemma.batch.GenerationRequest;
import dev.jemma.batch.StreamListener;
import dev.jemma.batch.Ticket;
import dev.jemma.generate.ChatTemplate;
import dev.jemma.server.engine.Engine;
import dev.jemma.server.engine.ModelInfo;
import dev.jemma.server.engine.ServedModels;
import dev.jemma.tokenizer.Tokenizer;

import java.util.function.UnaryOperator;

/** An engine that passes every request through a replaceable hook first (a test seam: inject a failing constraint). */
final class HookedEngine implements Engine {
    private final Engine inner;
    volatile UnaryOperator<GenerationRequest> hook = r -> r;

    HookedEngine(Engine inner) {
        this.inner = inner;
    }

    @Override
    public ModelInfo model() {
        return inner.model();
    }

    @Override
    public ServedModels models() {
        return inner.models();
    }

    @Override
    public Tokenizer tokenizer() {
        return inner.tokenizer();
    }

    @Override
    public ChatTemplate chatTemplate() {
        return inner.chatTemplate();
    }

    @Override
    public dev.jemma.vision.VisionEngine vision() {
        return inner.vision();
    }

    @Override
    public Ticket submit(GenerationRequest request, StreamListener listener) {
        return inner.submit(hook.apply(request), listener);
    }

    @Override
    public BatchMetrics metrics() {
        return inner.metrics();
    }

    @Override
    public long prefixCacheBytes() {
        return inner.prefixCacheBytes();
    }

    @Override
    public void close() {
        inner.close();
    }
}
