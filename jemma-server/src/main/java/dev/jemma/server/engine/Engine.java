package dev.jemma.server.engine;

import dev.jemma.batch.BatchMetrics;
import dev.jemma.batch.GenerationRequest;
import dev.jemma.batch.StreamListener;
import dev.jemma.batch.Ticket;
import dev.jemma.generate.ChatTemplate;
import dev.jemma.tokenizer.Tokenizer;

/**
 * What the API handlers need from the model: its facts, its tokenizer and chat template, and a queue that runs
 * generations. Narrow on purpose, so handlers can be tested over another implementation.
 */
public interface Engine extends AutoCloseable {
    /** The base model. */
    ModelInfo model();

    /** Every model id served (the base and its adapters) and what each runs with. */
    ServedModels models();

    Tokenizer tokenizer();

    ChatTemplate chatTemplate();

    /** The vision tower, or null: images are refused. */
    default dev.jemma.vision.VisionEngine vision() {
        return null;
    }

    /**
     * Queues a generation; events go to the listener on the engine's thread. Throws at once, without queueing,
     * {@link dev.jemma.batch.QueueFullException} when full and {@link dev.jemma.model.ContextOverflowException}
     * when the prompt leaves no room in the context.
     */
    Ticket submit(GenerationRequest request, StreamListener listener);

    BatchMetrics metrics();

    /** Bytes held by the shared prompt-prefix cache, or -1 when there is none. */
    long prefixCacheBytes();

    @Override
    void close();
}
