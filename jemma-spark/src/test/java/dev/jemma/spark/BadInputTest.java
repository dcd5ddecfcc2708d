package dev.jemma.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Acceptance (d): bad rows get an error in their own row and the job goes on; bad jobs fail at start, clearly. */
class BadInputTest {
    @Test
    void badRowsGetTheirOwnErrorAndTheJobGoesOn() throws Exception {
        String huge = "word ".repeat(600); // 3000 characters, ~600 tokens: more than the 256-position context
        String[] prompts = {"Say hello.", null, "x".repeat(5000), huge, "Name a colour.", "Say goodbye."};
        String[] adapters = {null, null, null, null, "nope", "plain"};
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < prompts.length; i++) rows.add(RowFactory.create(i, prompts[i], adapters[i]));
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("prompt", DataTypes.StringType)
                .add("adapter", DataTypes.StringType);
        Dataset<Row> in = SparkTests.spark().createDataFrame(rows, schema);
        String chat = dev.jemma.cli.DefaultChatAdapter.locate().toString();
        GenerateOptions o = GenerateOptions.model(SparkTests.model().toString()).adapter("plain", chat, 1f)
                .adapterColumn("adapter").temperature(0).maxTokens(8).contextLength(256).maxPromptChars(4000);
        JemmaMetrics metrics = JemmaMetrics.register(SparkTests.spark().sparkContext());
        Map<Integer, Row> out = GreedyRowsTest.byId(JemmaSpark.generate(in, o, metrics));
        assertEquals(prompts.length, out.size());
        assertNull(out.get(0).getAs("error"));
        assertNotNull(out.get(0).getAs("completion"));
        assertError(out.get(1), "the prompt is null");
        assertError(out.get(2), "5000 characters, more than the limit of 4000");
        assertError(out.get(3), "the context holds 256");
        assertError(out.get(4), "unknown adapter 'nope'");
        assertNull(out.get(5).getAs("error"));
        assertEquals(prompts.length, metrics.rows());
        assertEquals(4, metrics.failedRows(), "failed rows counted");
    }

    private static void assertError(Row r, String part) {
        String e = r.getAs("error");
        assertNotNull(e, "row " + r.getAs("id") + " should have failed");
        assertTrue(e.contains(part), "row " + r.getAs("id") + ": '" + e + "' should say '" + part + "'");
        assertNull(r.getAs("completion"));
        assertEquals("error", r.getAs("finish_reason"));
        assertEquals(0, (int) r.getAs("completion_tokens"));
    }

    @Test
    void badJobsFailBeforeTheyStart() {
        Dataset<Row> in = GreedyRowsTest.table(List.of("hi"));
        String model = SparkTests.model().toString();
        assertMessage(() -> JemmaSpark.generate(in, GenerateOptions.model("/no/such/model.gguf")), "model file /no/such/model.gguf does not exist");
        assertMessage(() -> JemmaSpark.generate(in, GenerateOptions.model(model).promptColumn("text")), "no prompt column 'text' (columns: id, prompt)");
        assertMessage(() -> JemmaSpark.generate(in, GenerateOptions.model(model).promptColumn("id")), "must hold strings, not int");
        assertMessage(() -> JemmaSpark.generate(in.withColumnRenamed("id", "error"), GenerateOptions.model(model)),
                "already has a column 'error'");
        assertMessage(() -> JemmaSpark.generate(in, GenerateOptions.model(model).jsonSchema("{\"type\": \"objec\"}")), "objec");
        assertThrows(IllegalArgumentException.class, () -> JemmaSpark.generate(in, GenerateOptions.model(model).temperature(-1)));
        assertThrows(IllegalArgumentException.class, () -> JemmaSpark.generate(in, GenerateOptions.model(model).adapterColumn("a")));
        assertThrows(IllegalArgumentException.class, () -> JemmaSpark.generate(in, GenerateOptions.model(model).kvType("f8")));
    }

    @Test
    void shippedFilesReachTheExecutors() throws Exception {
        Dataset<Row> in = GreedyRowsTest.table(List.of("Say hello.", "Name a colour."));
        GenerateOptions o = GenerateOptions.model(SparkTests.model().toString())
                .adapter(dev.jemma.cli.DefaultChatAdapter.locate().toString(), 1f).temperature(0).maxTokens(6);
        Map<Integer, Row> shipped = GreedyRowsTest.byId(JemmaSpark.generate(in, o.shipFiles(true)));
        Map<Integer, Row> local = GreedyRowsTest.byId(JemmaSpark.generate(in, o));
        for (int i = 0; i < 2; i++) {
            assertNull(shipped.get(i).getAs("error"));
            assertEquals((String) local.get(i).getAs("completion"), shipped.get(i).getAs("completion"));
        }
    }

    @Test
    void aModelMissingOnAnExecutorSaysWhereAndWhatToDo() {
        JemmaSparkException e = assertThrows(JemmaSparkException.class,
                () -> ExecutorEngine.get(GenerateOptions.model("/models/absent.gguf").seed(1)));
        assertTrue(e.getMessage().contains("the model file /models/absent.gguf is not on executor host"), e.getMessage());
        assertTrue(e.getMessage().contains("shipFiles(true)"), e.getMessage());
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable run, String part) {
        Throwable t = assertThrows(RuntimeException.class, run);
        assertTrue(t.getMessage().contains(part), "'" + t.getMessage() + "' should say '" + part + "'");
    }
}
