package dev.jemma.server.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jemma.generate.SamplingParams;
import dev.jemma.server.http.ApiException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One sampling parser: the same value gets the same result or the same refusal from OpenAI's and Ollama's names. */
class SamplingOptionsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int CTX = 1024;
    /** the server's cap on generated tokens, above the context here so that the context clamps first */
    static final int LIMIT = 4096;

    static ObjectNode obj(String json) throws Exception {
        return (ObjectNode) JSON.readTree(json);
    }

    static SamplingParams openAi(String json) throws Exception {
        return SamplingOptions.parse(Params.of(obj(json)), SamplingOptions.OPENAI, 10, CTX, 0, LIMIT, "messages");
    }

    static SamplingParams ollama(String json) throws Exception {
        return SamplingOptions.parse(new Params(obj(json), "options."), SamplingOptions.OLLAMA, 10, CTX, 0, LIMIT, "messages");
    }

    @Test
    void sameValuesGiveTheSameParameters() throws Exception {
        SamplingParams a = openAi("{\"temperature\":0.5,\"top_k\":10,\"top_p\":0.9,\"min_p\":0.05,\"repetition_penalty\":1.1,"
                + "\"presence_penalty\":0.2,\"frequency_penalty\":0.3,\"seed\":5,\"stop\":[\"x\"],\"max_tokens\":7}");
        SamplingParams b = ollama("{\"temperature\":0.5,\"top_k\":10,\"top_p\":0.9,\"min_p\":0.05,\"repeat_penalty\":1.1,"
                + "\"presence_penalty\":0.2,\"frequency_penalty\":0.3,\"seed\":5,\"stop\":[\"x\"],\"num_predict\":7}");
        assertEquals(a, b);
        assertEquals(7, a.maxTokens());
        assertEquals(List.of("x"), a.stop());
    }

    @Test
    void defaultsAreGemmasFromSamplingParams() throws Exception {
        SamplingParams d = SamplingParams.GEMMA_DEFAULTS;
        for (SamplingParams p : List.of(openAi("{}"), ollama("{}"))) {
            assertEquals(d.withSeed(p.seed()).withMaxTokens(CTX - 10), p);
        }
    }

    @Test
    void topPZeroMeansTheMostLikelyTokenInBoth() throws Exception {
        assertEquals(Float.MIN_NORMAL, openAi("{\"top_p\":0}").topP());
        assertEquals(Float.MIN_NORMAL, ollama("{\"top_p\":0}").topP());
    }

    @Test
    void sameValueSameRefusal() {
        String[][] cases = {
                {"repetition_penalty", "repeat_penalty", "0"},
                {"repetition_penalty", "repeat_penalty", "-1"},
                {"repetition_penalty", "repeat_penalty", "11"},
                {"temperature", "temperature", "-1"},
                {"temperature", "temperature", "2.5"},
                {"top_p", "top_p", "1.5"},
                {"top_k", "top_k", "-1"},
                {"top_k", "top_k", "0.5"},
                {"min_p", "min_p", "2"},
                {"presence_penalty", "presence_penalty", "3"},
                {"frequency_penalty", "frequency_penalty", "-3"},
                {"seed", "seed", "18446744073709551616"},
                {"stop", "stop", "\"\""},
                {"stop", "stop", "5"},
                {"max_tokens", "num_predict", "0"},
                {"max_tokens", "num_predict", "\"many\""},
        };
        for (String[] c : cases) {
            ApiException a = assertThrows(ApiException.class, () -> openAi("{\"" + c[0] + "\":" + c[2] + "}"), c[0] + "=" + c[2]);
            ApiException b = assertThrows(ApiException.class, () -> ollama("{\"" + c[1] + "\":" + c[2] + "}"), c[1] + "=" + c[2]);
            assertEquals(400, a.status());
            assertEquals(400, b.status());
            assertEquals(c[0], a.param());
            assertEquals("options." + c[1], b.param());
        }
    }

    @Test
    void tokenLimitIsClampedToTheContextInBoth() throws Exception {
        assertEquals(CTX - 10, openAi("{\"max_tokens\":100000}").maxTokens());
        assertEquals(CTX - 10, ollama("{\"num_predict\":100000}").maxTokens());
        assertEquals(CTX - 10, ollama("{\"num_predict\":-1}").maxTokens()); // Ollama's "until the context is full"
    }

    /** The server's cap applies to OpenAI's and Ollama's limits alike, "until the context is full" included. */
    @Test
    void tokenLimitIsClampedToTheServersCapInBoth() throws Exception {
        int cap = 64;
        for (String json : new String[] {"{\"max_tokens\":9223372036854775807}", "{\"max_completion_tokens\":100000}", "{}"}) {
            assertEquals(cap, SamplingOptions.parse(Params.of(obj(json)), SamplingOptions.OPENAI, 10, CTX, 0, cap, "messages").maxTokens(), json);
        }
        for (String json : new String[] {"{\"num_predict\":-1}", "{\"num_predict\":-2}", "{\"num_predict\":100000}", "{}"}) {
            assertEquals(cap, SamplingOptions.parse(new Params(obj(json), "options."), SamplingOptions.OLLAMA, 10, CTX, 0, cap, "prompt").maxTokens(), json);
        }
        assertEquals(5, SamplingOptions.parse(Params.of(obj("{\"max_tokens\":5}")), SamplingOptions.OPENAI, 10, CTX, 0, cap, "messages").maxTokens());
    }

    @Test
    void contextErrorsSpeakOfTheRequestNotOfFlags() {
        ApiException e = assertThrows(ApiException.class,
                () -> SamplingOptions.parse(Params.of(obj("{}")), SamplingOptions.OPENAI, 2000, CTX, 0, LIMIT, "messages"));
        assertEquals("exceed_context_size_error", e.type());
        assertTrue(e.getMessage().contains("2000") && e.getMessage().contains("1024"), e.getMessage());
        assertFalse(e.getMessage().contains("--"), e.getMessage());
        ApiException o = assertThrows(ApiException.class,
                () -> SamplingOptions.parse(new Params(obj("{\"num_ctx\":100}"), "options."), SamplingOptions.OLLAMA, 150, CTX, 0, LIMIT, "prompt"));
        assertTrue(o.getMessage().contains("options.num_ctx"), o.getMessage());
        assertFalse(o.getMessage().contains("--"), o.getMessage());
    }
}
