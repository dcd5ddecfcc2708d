package dev.jemma.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jemma.generate.GenerationResult;
import dev.jemma.generate.TokenEvent;
import dev.jemma.server.http.StreamWriter;

import java.io.IOException;
import java.util.List;

/**
 * One API's response format, for streams and whole bodies alike. {@link Drain} calls it: for a stream,
 * open, then token and end as events arrive, then close (or error); otherwise body once every choice ended.
 */
interface Renderer {
    /** SSE (OpenAI) rather than NDJSON (Ollama). */
    boolean sse();

    /** Starts the stream once the requests are admitted (OpenAI's chat sends each choice's role first). */
    default void open(StreamWriter w) throws IOException {
        w.start();
    }

    void token(StreamWriter w, int choice, TokenEvent e) throws IOException;

    void end(StreamWriter w, int choice, GenerationResult r) throws IOException;

    /** After every choice ended: usage, the end marker. */
    void close(StreamWriter w, GenerationResult[] results) throws IOException;

    /** The error event of a stream that had started; nothing follows it. */
    void error(StreamWriter w, GenerationFailure f) throws IOException;

    /** The whole response; tokens holds each choice's token events when log-probabilities were asked for. */
    ObjectNode body(GenerationResult[] results, List<List<TokenEvent>> tokens);
}
