package dev.jemma.spark;

import dev.jemma.adapter.AdapterSum;
import dev.jemma.adapter.LoraAdapter;
import dev.jemma.cli.DefaultChatAdapter;
import dev.jemma.cli.Main;
import dev.jemma.generate.ContextConfig;
import dev.jemma.generate.SamplingParams;
import dev.jemma.generate.Session;
import dev.jemma.model.Gemma3Model;
import dev.jemma.tensor.Arithmetic;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Acceptance (a): 500 prompts at temperature 0 through Spark in local[2] give, row for row, the text
 * {@code jemma run --temperature 0} prints for each (the default model: the 270M with its chat adapter). The batch
 * computes batch-invariant, so every row equals {@code jemma run --batch-invariant} to the bit; plain {@code run}'s
 * FAST arithmetic differs in the last bits and may round a near-tie the other way (none did on the machines measured;
 * at most 1% is allowed, each such row checked against {@code --batch-invariant}).
 */
class GreedyRowsTest {
    static final int ROWS = 500;
    static final int MAX_TOKENS = 16;

    static Dataset<Row> table(List<String> prompts) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) rows.add(RowFactory.create(i, prompts.get(i)));
        StructType schema = new StructType().add("id", DataTypes.IntegerType, false).add("prompt", DataTypes.StringType, true);
        return SparkTests.spark().createDataFrame(rows, schema);
    }

    static Map<Integer, Row> byId(Dataset<Row> out) {
        Map<Integer, Row> m = new HashMap<>();
        for (Row r : out.collectAsList()) {
            Row before = m.put(r.getInt(r.fieldIndex("id")), r);
            assertNull(before, "row " + r.getInt(r.fieldIndex("id")) + " came out twice");
        }
        return m;
    }

    @Test
    void greedyRowsEqualJemmaRun() throws Exception {
        Path model = SparkTests.model();
        Path chat = DefaultChatAdapter.locate();
        List<String> prompts = SparkTests.prompts(ROWS);
        GenerateOptions o = GenerateOptions.model(model.toString()).adapter(chat.toString(), 1f)
                .temperature(0).maxTokens(MAX_TOKENS).contextLength(1024);
        JemmaMetrics metrics = JemmaMetrics.register(SparkTests.spark().sparkContext());
        long t0 = System.nanoTime();
        Map<Integer, Row> got = byId(JemmaSpark.generate(table(prompts).repartition(2), o, metrics));
        double sparkSeconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(ROWS, got.size());
        assertEquals(ROWS, metrics.rows());
        assertEquals(0, metrics.failedRows());

        // jemma run's own path: the --lora adapters summed onto the model, one Session, chat(), FAST arithmetic
        List<Integer> differ = new ArrayList<>();
        List<String> wrong = new ArrayList<>();
        long t1 = System.nanoTime();
        try (Gemma3Model m = Gemma3Model.load(model, 2)) {
            m.adapter(AdapterSum.of(List.of(LoraAdapter.read(chat, m.config).withScale(1f))));
            try (Session s = new Session(m, ContextConfig.of(1024))) {
                for (int i = 0; i < ROWS; i++) {
                    Row r = got.get(i);
                    assertNull(r.getAs(OutputColumns.ERROR), "row " + i);
                    if (!answer(s, prompts.get(i), Arithmetic.FAST).equals(r.getAs(OutputColumns.COMPLETION))) differ.add(i);
                }
                // a row FAST arithmetic answers otherwise (a near-tie it rounds the other way) must equal
                // `jemma run --batch-invariant`, which computes as the batches do, to the bit
                for (int i : differ) {
                    String bi = answer(s, prompts.get(i), Arithmetic.BATCH_INVARIANT);
                    if (!bi.equals(got.get(i).getAs(OutputColumns.COMPLETION))) {
                        wrong.add(i + ": run --batch-invariant '" + bi + "' vs batch '" + got.get(i).getAs(OutputColumns.COMPLETION) + "'");
                    }
                }
            }
        }
        System.err.printf("greedy rows: Spark %.1f s, one by one %.1f s; %d of %d rows differ from jemma run (FAST), "
                + "%d from jemma run --batch-invariant%n", sparkSeconds, (System.nanoTime() - t1) / 1e9, differ.size(), ROWS, wrong.size());
        assertTrue(wrong.isEmpty(), "rows differ from jemma run --batch-invariant: " + wrong);
        assertTrue(differ.size() <= ROWS / 100, differ.size() + " rows differ from plain jemma run: " + differ);

        // and the command itself, for a few rows: stdout is exactly the completion and a newline
        for (int i : new int[]{0, 7, 499}) {
            List<String> args = new ArrayList<>(List.of("run", "--model", model.toString(), "--lora", chat.toString(),
                    "--temperature", "0", "--max-tokens", String.valueOf(MAX_TOKENS), "--threads", "2"));
            if (differ.contains(i)) args.add("--batch-invariant");
            args.add(prompts.get(i));
            assertEquals(r(got.get(i)) + "\n", runCommand(args.toArray(new String[0])));
        }
    }

    /** What `jemma run --temperature 0` prints for the prompt (a fresh conversation each time). */
    private static String answer(Session s, String prompt, Arithmetic arithmetic) {
        s.reset();
        s.arithmetic(arithmetic);
        StringBuilder printed = new StringBuilder();
        s.chat(prompt, SamplingParams.greedy(MAX_TOKENS), printed::append);
        return printed.toString();
    }

    private static String r(Row row) {
        return row.getAs(OutputColumns.COMPLETION);
    }

    static String runCommand(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Main.run(List.of(), args), "exit code of jemma " + String.join(" ", args));
        } finally {
            System.setOut(old);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }
}
