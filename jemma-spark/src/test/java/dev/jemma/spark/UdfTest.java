package dev.jemma.spark;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SQL functions give what generate() gives for the same rows. */
class UdfTest {
    @Test
    void sqlFunctionsAnswerAsGenerateDoes() throws Exception {
        SparkSession spark = SparkTests.spark();
        List<String> prompts = SparkTests.prompts(8);
        GenerateOptions o = SamplingAndSchemaTest.options().temperature(0).maxTokens(8).seed(5)
                .adapter("chat", dev.jemma.cli.DefaultChatAdapter.locate().toString(), 1f);
        JemmaSpark.registerUdf(spark, o);
        GreedyRowsTest.table(prompts).createOrReplaceTempView("tickets");
        List<Row> sql = spark.sql("SELECT id, r.completion, r.finish_reason, r.error FROM "
                + "(SELECT id, jemma_generate(prompt) AS r FROM tickets) ORDER BY id").collectAsList();
        Map<Integer, Row> direct = GreedyRowsTest.byId(JemmaSpark.generate(GreedyRowsTest.table(prompts), o));
        assertEquals(8, sql.size());
        for (Row r : sql) {
            assertEquals((String) direct.get(r.getInt(0)).getAs("completion"), r.getString(1), "row " + r.getInt(0));
            assertEquals((String) direct.get(r.getInt(0)).getAs("finish_reason"), r.getString(2));
        }
        Row bad = spark.sql("SELECT jemma_generate_with(NULL, 'chat', 1).error AS e, "
                + "jemma_generate_with('Hi', 'missing', NULL).error AS u").first();
        assertEquals("the prompt is null", bad.getString(0));
        assertTrue(bad.getString(1).startsWith("unknown adapter 'missing'"), bad.getString(1));
    }
}
