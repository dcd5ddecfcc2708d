package dev.jemma.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.jemma.cli.CliInputErrorsTest.beforeLoading;
import static dev.jemma.cli.CliInputErrorsTest.oneLineError;
import static dev.jemma.cli.CliTest.jemma;
import static org.junit.jupiter.api.Assertions.*;

/** {@code jemma eval}: flags and data checked before the model loads; one JSON object of scores on stdout. */
class EvalCommandTest {
    static final String MODEL = CliInputErrorsTest.MODEL;
    static final String ROW = "{\"prompt\":\"Name: Ada\\nJSON:\\n\",\"completion\":\"{\\\"name\\\":\\\"Ada\\\"}\"}";

    private static Path data(Path dir, String... lines) throws IOException {
        Path p = dir.resolve("eval.jsonl");
        Files.writeString(p, String.join("\n", lines) + "\n");
        return p;
    }

    @Test
    void flagsAndDataAreCheckedBeforeTheModelLoads(@TempDir Path tmp) throws IOException {
        String d = data(tmp, ROW, "{\"prompt\":\"x\"}").toString();
        CliTest.Outcome bad = jemma("eval", "--model", MODEL, "--data", d);
        oneLineError(bad, d + ":2: an evaluation row needs \"prompt\" and \"completion\"");
        beforeLoading(bad);
        String good = data(tmp, ROW).toString();
        for (String[] args : new String[][] {
                {"eval", "--model", MODEL, "--data", good, "--shots", "2"},
                {"eval", "--model", MODEL, "--data", good, "--shots-from", good},
                {"eval", "--model", MODEL, "--data", good, "--shots", "-1", "--shots-from", good},
                {"eval", "--model", MODEL, "--data", good, "--max-tokens", "0"},
                {"eval", "--model", MODEL, "--data", good, "--limit", "0"}}) {
            CliTest.Outcome o = jemma(args);
            assertEquals(1, o.code(), String.join(" ", args) + ": " + o.err());
            beforeLoading(o);
        }
        oneLineError(jemma("eval", "--model", MODEL, "--data", good, "--shots", "3", "--shots-from", good),
                "--shots 3 but " + good + " holds only 1 examples");
        oneLineError(jemma("eval", "--model", MODEL, "--data", tmp.resolve("none.jsonl").toString()), "file not found");
    }

    @Test
    void scoresTheRealModelAsOneJsonObject(@TempDir Path tmp) throws IOException {
        String model = StructuredRunTest.model();
        Path schema = tmp.resolve("schema.json");
        Files.writeString(schema, "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":[\"string\",\"null\"],\"maxLength\":20}},"
                + "\"required\":[\"name\"],\"additionalProperties\":false}");
        String d = data(tmp, ROW, ROW, ROW).toString();
        CliTest.Outcome o = jemma("eval", "--model", model, "--data", d, "--limit", "2", "--json-schema", schema.toString(),
                "--shots", "1", "--shots-from", d, "--max-tokens", "32", "--ctx", "512", "--threads", "2");
        assertEquals(0, o.code(), o.err());
        JsonNode j = new ObjectMapper().readTree(o.out());
        assertEquals(2, j.get("examples").asInt());
        assertTrue(j.get("schema_constrained").asBoolean());
        assertEquals(1.0, j.get("valid_json").asDouble(), "a schema-constrained answer that is not cut off is valid JSON: " + o.out());
        for (String k : new String[] {"exact_match", "field_accuracy", "record_accuracy"}) assertTrue(j.has(k), o.out());
        assertTrue(j.get("field_accuracy").get("fields").has("name"), o.out());
        assertEquals(1, o.out().strip().lines().count(), "stdout is the one JSON object");
        assertTrue(o.err().contains("2 examples in"), o.err());
    }
}
