package dev.jemma;

import dev.jemma.generate.Session;
import dev.jemma.model.Gemma3Model;
import dev.jemma.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Entry point of the library: a loaded model from which sessions are opened.
 * <pre>{@code
 * try (Jemma jemma = Jemma.builder().model(path).build();
 *      Session chat = jemma.newSession()) {
 *     chat.chat("Hello!", SamplingParams.GEMMA_DEFAULTS, System.out::print);
 * }
 * }</pre>
 * Thread-safety: a {@code Jemma} (and its model) is immutable and may be shared by any number of
 * threads; each {@link Session} belongs to one thread at a time. Forward passes of concurrent
 * sessions take turns on the model's worker pool.
 */
public final class Jemma implements AutoCloseable {
    private final Gemma3Model model;
    private final int contextLength;

    private Jemma(Gemma3Model model, int contextLength) {
        this.model = model;
        this.contextLength = contextLength;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Gemma3Model model() {
        return model;
    }

    public Tokenizer tokenizer() {
        return model.tokenizer;
    }

    /** A new session with the builder's context length. */
    public Session newSession() {
        return new Session(model, contextLength);
    }

    public Session newSession(int contextLength) {
        return new Session(model, contextLength);
    }

    @Override
    public void close() {
        model.close();
    }

    public static final class Builder {
        private Path model;
        private int threads = Runtime.getRuntime().availableProcessors();
        private int contextLength = 0;

        public Builder model(Path path) {
            this.model = path;
            return this;
        }

        public Builder threads(int n) {
            if (n < 1) throw new JemmaException("threads must be ≥ 1, got " + n);
            this.threads = n;
            return this;
        }

        /** Positions per session; 0 (default) means the model's trained maximum. */
        public Builder contextLength(int n) {
            if (n < 0) throw new JemmaException("context length must be ≥ 0, got " + n);
            this.contextLength = n;
            return this;
        }

        public Jemma build() {
            Objects.requireNonNull(model, "model path");
            try {
                Gemma3Model m = Gemma3Model.load(model, threads);
                int ctx = contextLength == 0 ? m.config.contextLength() : contextLength;
                if (ctx > m.config.contextLength()) {
                    m.close();
                    throw new JemmaException("context length " + ctx + " exceeds the model's trained maximum " + m.config.contextLength());
                }
                return new Jemma(m, ctx);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read model " + model + ": " + e.getMessage(), e);
            }
        }
    }
}
