package dev.jemma.server;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.ollama.OllamaChatModel;
import dev.langchain4j.model.ollama.OllamaStreamingChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * LangChain4j's OpenAI and Ollama modules, unchanged, against the server: chat, streaming, stop sequences and
 * seeds (acceptance a of the server issue).
 */
class LangChain4jClientsTest extends SharedServerTest {
    static final String SEA = "Write one sentence about the sea.";

    /** A stop string taken from the middle of the unconstrained answer: the stopped answer is exactly what precedes it. */
    static void checkStop(String whole, java.util.function.Function<List<String>, String> withStop) {
        String[] words = whole.trim().split("\\s+");
        assertTrue(words.length >= 4, "answer long enough to cut: " + whole);
        String stop = words[words.length / 2];
        String cut = withStop.apply(List.of(stop));
        assertEquals(whole.substring(0, whole.indexOf(stop)), cut, "stop string " + stop);
    }

    static String base() {
        return "http://127.0.0.1:" + s.port;
    }

    static OpenAiChatModel.OpenAiChatModelBuilder openAi() {
        return OpenAiChatModel.builder().baseUrl(base() + "/v1").apiKey("none").modelName("gemma3-test")
                .timeout(Duration.ofSeconds(120)).maxRetries(0).maxTokens(24);
    }

    static OllamaChatModel.OllamaChatModelBuilder ollama() {
        return OllamaChatModel.builder().baseUrl(base()).modelName("gemma3-test").timeout(Duration.ofSeconds(120))
                .maxRetries(0).numPredict(24);
    }

    /** Streams one answer; returns the concatenated partial responses after checking they equal the final text. */
    static String stream(StreamingChatModel model, String prompt) throws Exception {
        StringBuilder parts = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat(prompt, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                parts.append(partial);
            }

            @Override
            public void onCompleteResponse(ChatResponse r) {
                done.complete(r);
            }

            @Override
            public void onError(Throwable e) {
                done.completeExceptionally(e);
            }
        });
        ChatResponse r = done.get(120, TimeUnit.SECONDS);
        assertEquals(r.aiMessage().text(), parts.toString(), "partials concatenate to the final message");
        return parts.toString();
    }

    @Test
    void openAiChatStreamStopAndSeed() throws Exception {
        ChatModel greedy = openAi().temperature(0.0).build();
        String whole = greedy.chat(SEA);
        assertFalse(whole.isBlank());
        StreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(base() + "/v1").apiKey("none")
                .modelName("gemma3-test").timeout(Duration.ofSeconds(120)).maxTokens(24).temperature(0.0).build();
        assertEquals(whole, stream(streaming, SEA), "streamed greedy answer equals the non-streamed one");
        checkStop(whole, stop -> openAi().temperature(0.0).stop(stop).build().chat(SEA));
        ChatModel seeded = openAi().temperature(0.9).seed(11).build();
        assertEquals(seeded.chat(SEA), seeded.chat(SEA), "same seed, same text");
    }

    @Test
    void ollamaChatStreamStopAndSeed() throws Exception {
        ChatModel greedy = ollama().temperature(0.0).build();
        String whole = greedy.chat(SEA);
        assertFalse(whole.isBlank());
        StreamingChatModel streaming = OllamaStreamingChatModel.builder().baseUrl(base()).modelName("gemma3-test")
                .timeout(Duration.ofSeconds(120)).numPredict(24).temperature(0.0).build();
        assertEquals(whole, stream(streaming, SEA), "streamed greedy answer equals the non-streamed one");
        checkStop(whole, stop -> ollama().temperature(0.0).stop(stop).build().chat(SEA));
        ChatModel seeded = ollama().temperature(0.9).seed(11).build();
        assertEquals(seeded.chat(SEA), seeded.chat(SEA), "same seed, same text");
    }
}
