package dev.jemma.generate;

import dev.jemma.model.Gemma3Model;
import dev.jemma.testutil.GgufBuilder;
import dev.jemma.testutil.TinyGemma;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** A vocabulary without Gemma's turn tokens still completes raw text; only chat needs them, and says so. */
class ChatTokensOptionalTest {
    @Test
    void rawCompletionNeedsNoChatTokens(@TempDir Path tmp) throws Exception {
        List<String> tokens = new ArrayList<>(TinyGemma.tokens());
        tokens.set(tokens.indexOf("<start_of_turn>"), "<unused_a>");
        tokens.set(tokens.indexOf("<end_of_turn>"), "<unused_b>");
        GgufBuilder g = TinyGemma.builder().remove("tokenizer.ggml.tokens");
        g.strings("tokenizer.ggml.tokens", tokens);
        try (Gemma3Model m = Gemma3Model.load(g.write(tmp), 1); Session s = new Session(m, 32)) {
            GenerationResult r = s.complete("hello", SamplingParams.greedy(4), TextListener.NONE);
            assertTrue(r.generatedTokens() > 0 || r.finishReason() == FinishReason.STOP, r.toString());
            ChatFormatException e = assertThrows(ChatFormatException.class,
                    () -> s.chat("hello", SamplingParams.greedy(4), TextListener.NONE));
            assertTrue(e.getMessage().contains("<start_of_turn>"), e.getMessage());
        }
    }
}
