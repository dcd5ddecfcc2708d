package dev.jemma.spark;

import dev.jemma.cli.DefaultChatAdapter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Acceptance (a): with sampling and per-row seeds a rerun gives the same rows; with a JSON Schema every row parses. */
class SamplingAndSchemaTest {
    static GenerateOptions options() throws Exception {
        return GenerateOptions.model(SparkTests.model().toString()).adapter(DefaultChatAdapter.locate().toString(), 1f)
                .contextLength(512);
    }

    @Test
    void sampledRowsRepeatOnRerunWhateverThePartitioning() throws Exception {
        List<String> prompts = SparkTests.prompts(60);
        GenerateOptions o = options().temperature(1f).maxTokens(12).seed(1234);
        Map<Integer, Row> first = GreedyRowsTest.byId(JemmaSpark.generate(GreedyRowsTest.table(prompts).repartition(2), o));
        Map<Integer, Row> again = GreedyRowsTest.byId(JemmaSpark.generate(GreedyRowsTest.table(prompts).repartition(3), o));
        int differentFromGreedy = 0;
        Map<Integer, Row> greedy = GreedyRowsTest.byId(JemmaSpark.generate(GreedyRowsTest.table(prompts), o.temperature(0)));
        for (int i = 0; i < prompts.size(); i++) {
            assertEquals((String) first.get(i).getAs("completion"), again.get(i).getAs("completion"), "row " + i);
            if (!first.get(i).getAs("completion").equals(greedy.get(i).getAs("completion"))) differentFromGreedy++;
        }
        assertTrue(differentFromGreedy > 10, "sampling should differ from greedy on many rows, got " + differentFromGreedy);

        // another job seed changes the rows; a seed column fixes each row's own
        Map<Integer, Row> other = GreedyRowsTest.byId(JemmaSpark.generate(GreedyRowsTest.table(prompts), o.seed(99)));
        int changed = 0;
        for (int i = 0; i < prompts.size(); i++) if (!first.get(i).getAs("completion").equals(other.get(i).getAs("completion"))) changed++;
        assertTrue(changed > 10, "another job seed should change many rows, got " + changed);

        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 20; i++) rows.add(RowFactory.create(i, prompts.get(i), 7L + i));
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("prompt", DataTypes.StringType)
                .add("seed", DataTypes.LongType);
        Dataset<Row> seeded = SparkTests.spark().createDataFrame(rows, schema);
        Map<Integer, Row> s1 = GreedyRowsTest.byId(JemmaSpark.generate(seeded, o.seedColumn("seed")));
        Map<Integer, Row> s2 = GreedyRowsTest.byId(JemmaSpark.generate(seeded.repartition(2), o.seed(5).seedColumn("seed")));
        for (int i = 0; i < 20; i++) assertEquals((String) s1.get(i).getAs("completion"), s2.get(i).getAs("completion"), "seeded row " + i);
    }

    /** Prompt-lookup drafts (docs/SPECULATIVE.md) leave every row's text as it is without them, greedy and sampled. */
    @Test
    void draftsChangeNoRow() throws Exception {
        List<String> prompts = new ArrayList<>(SparkTests.prompts(16));
        prompts.add("Repeat exactly: alpha beta gamma delta, alpha beta gamma delta.");
        prompts.add("Copy this address: 1234 Elm Street, Springfield, Illinois 62704.");
        for (GenerateOptions o : List.of(options().temperature(0).maxTokens(24), options().temperature(1f).maxTokens(16).seed(7))) {
            Map<Integer, Row> plain = GreedyRowsTest.byId(JemmaSpark.generate(GreedyRowsTest.table(prompts), o));
            Map<Integer, Row> drafted = GreedyRowsTest.byId(JemmaSpark.generate(GreedyRowsTest.table(prompts).repartition(2), o.draftNgram(3)));
            for (int i = 0; i < prompts.size(); i++) {
                assertEquals((String) plain.get(i).getAs("completion"), drafted.get(i).getAs("completion"), "row " + i);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> JemmaSpark.generate(GreedyRowsTest.table(prompts), options().draftNgram(-1)));
    }

    @Test
    void everyRowParsesIntoTheSchemasStruct() throws Exception {
        String schema = """
                {"type": "object",
                 "properties": {"sentiment": {"enum": ["positive", "negative"]},
                                "department": {"type": "string", "maxLength": 20},
                                "urgent": {"type": "boolean"}},
                 "required": ["sentiment", "department", "urgent"],
                 "additionalProperties": false}""";
        List<String> prompts = SparkTests.prompts(100);
        GenerateOptions o = options().temperature(0).maxTokens(128).jsonSchema(schema);
        Dataset<Row> out = JemmaSpark.generate(GreedyRowsTest.table(prompts).repartition(2), o);
        assertEquals(DataTypes.createStructField("sentiment", DataTypes.StringType, true),
                ((StructType) out.schema().apply("completion_json").dataType()).apply("sentiment"));
        List<Row> rows = out.collectAsList();
        assertEquals(100, rows.size());
        for (Row r : rows) {
            assertNull(r.getAs("error"));
            assertEquals("stop", r.getAs("finish_reason"), "row " + r.getAs("id") + ": " + r.getAs("completion"));
            Row parsed = r.getAs("completion_json");
            assertNotNull(parsed, "row " + r.getAs("id") + " did not parse: " + r.getAs("completion"));
            assertTrue(Set.of("positive", "negative").contains(parsed.<String>getAs("sentiment")), "row " + r.getAs("id"));
            assertNotNull(parsed.getAs("department"));
            assertNotNull(parsed.getAs("urgent"));
        }
    }
}
