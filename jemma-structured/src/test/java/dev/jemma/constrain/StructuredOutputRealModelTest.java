package dev.jemma.constrain;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.ValidationMessage;
import dev.jemma.Jemma;
import dev.jemma.generate.ChatMessage;
import dev.jemma.generate.FinishReason;
import dev.jemma.generate.GenerationResult;
import dev.jemma.generate.SamplingParams;
import dev.jemma.generate.Session;
import dev.jemma.generate.TextListener;
import dev.jemma.testutil.Assets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Acceptance (a): the real 270M, sampled at temperature 1.0 with many seeds: every completion that finishes
 * with STOP parses and validates (networknt, formats asserted), over 207 runs across 23 schemas. Takes a few
 * minutes on two cores; tagged but part of {@code mvn test}.
 */
@Tag("long")
class StructuredOutputRealModelTest {
    static final int SEEDS = 9;
    static final List<String> SCHEMAS = List.of(
            "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"maxLength\":12},\"age\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":120}},\"required\":[\"name\",\"age\"]}",
            "{\"type\":\"string\",\"enum\":[\"red\",\"green\",\"blue\"]}",
            "{\"type\":\"boolean\"}",
            "{\"type\":\"integer\",\"minimum\":-50,\"maximum\":50}",
            "{\"type\":\"number\",\"minimum\":0,\"exclusiveMaximum\":1}",
            "{\"type\":\"array\",\"items\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":999},\"minItems\":1,\"maxItems\":3}",
            "{\"type\":\"object\",\"properties\":{\"user\":{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":999},\"tags\":{\"type\":\"array\",\"items\":{\"enum\":[\"a\",\"b\",\"c\"]},\"maxItems\":2}},\"required\":[\"id\",\"tags\"]}},\"required\":[\"user\"]}",
            "{\"anyOf\":[{\"type\":\"string\",\"maxLength\":8},{\"type\":\"null\"}]}",
            "{\"$defs\":{\"pt\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"integer\",\"minimum\":-9,\"maximum\":9},\"y\":{\"type\":\"integer\",\"minimum\":-9,\"maximum\":9}},\"required\":[\"x\",\"y\"]}},\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/pt\"},\"minItems\":1,\"maxItems\":2}",
            "{\"type\":\"string\",\"pattern\":\"^[A-Z]{3}-\\\\d{3}$\"}",
            "{\"type\":\"string\",\"format\":\"date\"}",
            "{\"type\":\"string\",\"format\":\"uuid\"}",
            "{\"type\":\"object\",\"properties\":{\"ville\":{\"enum\":[\"Zürich\",\"São Paulo\",\"東京\",\"Москва\"]},\"note\":{\"type\":\"string\",\"maxLength\":10}},\"required\":[\"ville\",\"note\"]}",
            "{\"type\":\"string\",\"pattern\":\"^[а-яё]{2,8}$\"}",
            "{\"type\":\"string\",\"pattern\":\"^[ぁ-んァ-ン一-龯]{1,4}$\"}",
            "{\"oneOf\":[{\"type\":\"integer\",\"minimum\":0,\"maximum\":9},{\"type\":\"string\",\"enum\":[\"none\"]}]}",
            "{\"type\":\"array\",\"prefixItems\":[{\"type\":\"string\",\"maxLength\":6},{\"type\":\"integer\",\"minimum\":0,\"maximum\":100},{\"type\":\"boolean\"}],\"items\":false,\"minItems\":3}",
            "{\"type\":\"object\",\"properties\":{\"v\":{\"const\":2},\"ok\":{\"type\":\"boolean\"}},\"required\":[\"v\",\"ok\"]}",
            "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":9},\"b\":{\"type\":\"boolean\"},\"c\":{\"type\":\"null\"}}}",
            "{\"type\":\"object\",\"properties\":{\"v\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":9},\"kids\":{\"type\":\"array\",\"maxItems\":2,\"items\":{\"$ref\":\"#\"}}},\"required\":[\"v\"]}",
            "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":9}},\"additionalProperties\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":99}}",
            "{\"type\":\"string\",\"format\":\"date-time\"}",
            "{\"type\":\"number\",\"minimum\":-10.5,\"maximum\":10.5}");

    static Jemma jemma;

    @BeforeAll
    static void load() {
        jemma = Jemma.builder().model(Assets.realModel()).threads(2).contextLength(1024).build();
    }

    @AfterAll
    static void close() {
        if (jemma != null) jemma.close();
    }

    @Test
    void everyStoppedCompletionValidates() throws Exception {
        int runs = 0, stopped = 0, valid = 0;
        long maskNanos = 0, decodeNanos = 0, tokens = 0;
        try (Session s = jemma.newSession()) {
            for (String schemaText : SCHEMAS) {
                Grammar g = JsonSchemaCompiler.compile(schemaText);
                JsonSchema validator = SchemaPropertyTest.FACTORY.getSchema(RandomSchemas.M.readTree(schemaText), SchemaPropertyTest.CONFIG);
                List<ChatMessage> prompt = List.of(ChatMessage.user("Answer with JSON only, matching this JSON Schema:\n" + schemaText));
                for (int seed = 0; seed < SEEDS; seed++) {
                    GrammarConstraint c = g.constraint(jemma.tokenizer());
                    GenerationResult r = s.chat(prompt, SamplingParams.GEMMA_DEFAULTS.withTemperature(1.0f).withSeed(seed).withMaxTokens(64), c, TextListener.NONE);
                    runs++;
                    maskNanos += c.maskNanos();
                    decodeNanos += r.decodeNanos();
                    tokens += r.generatedTokens();
                    if (r.finishReason() != FinishReason.STOP) continue;
                    stopped++;
                    JsonNode n = RandomSchemas.M.readTree(r.text());
                    Set<ValidationMessage> errors = validator.validate(n);
                    assertTrue(errors.isEmpty(), "seed " + seed + ": " + r.text() + "\nschema " + schemaText + "\n" + errors);
                    valid++;
                }
            }
        }
        System.out.printf("real 270M: %d runs over %d schemas, %d finished with stop, %d of them valid; %d tokens, mask %.1f ms of %.1f ms decode%n",
                runs, SCHEMAS.size(), stopped, valid, tokens, maskNanos / 1e6, decodeNanos / 1e6);
        assertEquals(stopped, valid);
        assertTrue(runs >= 200);
        assertTrue(stopped >= runs / 2, "too few completions finished: " + stopped + " of " + runs);
    }
}
