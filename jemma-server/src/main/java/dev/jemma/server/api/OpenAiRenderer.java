package dev.jemma.server.api;

import dev.jemma.generate.GenerationResult;
import dev.jemma.server.http.StreamWriter;
import dev.jemma.tokenizer.Tokenizer;

import java.io.IOException;

/** What OpenAI's chat and text completion renderers share: SSE, the usage chunk, [DONE] and the error event. */
abstract class OpenAiRenderer implements Renderer {
    final GenerationPlan plan;
    final Tokenizer tok;
    final OpenAiEnvelope envelope;
    /** The object type of streamed events. */
    final String chunkObject;

    OpenAiRenderer(GenerationPlan plan, Tokenizer tok, String id, String chunkObject) {
        this.plan = plan;
        this.tok = tok;
        this.envelope = new OpenAiEnvelope(id, plan.model());
        this.chunkObject = chunkObject;
    }

    @Override
    public boolean sse() {
        return true;
    }

    @Override
    public void close(StreamWriter w, GenerationResult[] results) throws IOException {
        if (plan.includeUsage()) envelope.usageChunk(w, chunkObject, results);
        w.done();
    }

    @Override
    public void error(StreamWriter w, GenerationFailure f) throws IOException {
        OpenAiEnvelope.error(w, f);
    }
}
