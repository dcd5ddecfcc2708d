package dev.jemma.spark;

import dev.jemma.cli.DefaultChatAdapter;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** jemma batch: JSONL and CSV in, JSONL and Parquet out, run's flags, the summary, and its mistakes. */
class BatchCommandTest {
    record Result(int code, String out, String err) {}

    static Result batch(String... args) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            String[] all = new String[args.length + 1];
            all[0] = "batch";
            System.arraycopy(args, 0, all, 1, args.length);
            int code = dev.jemma.cli.Main.run(List.of(new dev.jemma.spark.cli.BatchCommand()), all);
            return new Result(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void jsonlInJsonlOutWithEveryColumnKept(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("in.jsonl");
        StringBuilder sb = new StringBuilder();
        List<String> prompts = SparkTests.prompts(12);
        for (int i = 0; i < prompts.size(); i++) {
            sb.append("{\"id\": ").append(i).append(", \"team\": \"t").append(i % 3).append("\", \"text\": \"")
                    .append(prompts.get(i).replace("\"", "\\\"")).append("\"}\n");
        }
        sb.append("{\"id\": 12, \"team\": \"t0\", \"text\": null}\n");
        Files.writeString(in, sb);
        Path out = dir.resolve("out");
        Result r = batch("--model", SparkTests.model().toString(), "--lora", DefaultChatAdapter.locate().toString(),
                "--input", in.toString(), "--output", out.toString(), "--prompt-column", "text", "--master", "local[2]",
                "--temperature", "0", "--max-tokens", "8", "--threads", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("13 rows, 1 failed, "), r.out());
        assertTrue(Files.exists(out.resolve("_SUCCESS")));
        List<String> lines;
        try (var files = Files.list(out)) {
            lines = files.filter(f -> f.getFileName().toString().startsWith("part-"))
                    .flatMap(f -> { try { return Files.readAllLines(f).stream(); } catch (java.io.IOException e) { throw new java.io.UncheckedIOException(e); } })
                    .toList();
        }
        assertEquals(13, lines.size());
        for (String l : lines) {
            for (String k : List.of("\"id\"", "\"team\"", "\"text\"", "\"completion\"", "\"finish_reason\"", "\"prompt_tokens\"",
                    "\"completion_tokens\"", "\"error\"")) {
                assertTrue(l.contains(k + ":"), l + " lacks " + k);
            }
        }
        // the same rows as the library gives
        var direct = GreedyRowsTest.byId(JemmaSpark.generate(GreedyRowsTest.table(prompts),
                GenerateOptions.model(SparkTests.model().toString()).adapter(DefaultChatAdapter.locate().toString(), 1f)
                        .temperature(0).maxTokens(8)));
        for (Row row : SparkTests.spark().read().json(out.toString()).collectAsList()) {
            int id = (int) row.getLong(row.fieldIndex("id"));
            if (id < 12) assertEquals((String) direct.get(id).getAs("completion"), row.getAs("completion"), "row " + id);
        }

        // an existing output folder is refused, and replaced with --overwrite
        Result again = batch("--model", SparkTests.model().toString(), "--input", in.toString(), "--output", out.toString());
        assertEquals(1, again.code());
        assertTrue(again.err().contains("already exists"), again.err());
    }

    @Test
    void csvInParquetOut(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("in.csv");
        Files.writeString(in, "id,prompt\n1,\"Say hello, politely.\"\n2,Name a fruit.\n");
        Path out = dir.resolve("out");
        Result r = batch("--model", SparkTests.model().toString(), "--input", in.toString(), "--output", out.toString(),
                "--format", "parquet", "--raw", "--temperature", "0", "--max-tokens", "4", "--master", "local[2]");
        assertEquals(0, r.code(), r.err());
        List<Row> rows = SparkTests.spark().read().parquet(out.toString()).orderBy("id").collectAsList();
        assertEquals(2, rows.size());
        assertEquals("Say hello, politely.", rows.get(0).getAs("prompt"));
        assertEquals(4, (int) rows.get(1).getAs("completion_tokens"));
    }

    @Test
    void mistakesAreOneLine(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("in.txt");
        Files.writeString(in, "hello\n");
        Result r = batch("--model", SparkTests.model().toString(), "--input", in.toString(), "--output", dir.resolve("o").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("cannot tell the format"), r.err());
        r = batch("--model", SparkTests.model().toString(), "--input", dir.resolve("none.jsonl").toString(), "--output", dir.resolve("o").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("none.jsonl"), r.err());
        Files.writeString(dir.resolve("in.jsonl"), "{\"prompt\": \"hi\"}\n");
        r = batch("--model", SparkTests.model().toString(), "--input", dir.resolve("in.jsonl").toString(), "--output",
                dir.resolve("o").toString(), "--format", "xml");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--format must be jsonl or parquet"), r.err());
        assertFalse(Files.exists(dir.resolve("o")));

        Files.writeString(dir.resolve("bad.jsonl"), "{\"prompt\": \"hi\"}\nnot json\n");
        r = batch("--model", SparkTests.model().toString(), "--input", dir.resolve("bad.jsonl").toString(), "--output",
                dir.resolve("o").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("bad.jsonl: cannot read it as jsonl: ") && r.err().contains("Malformed records"), r.err());
        Files.writeString(dir.resolve("empty.jsonl"), "");
        r = batch("--model", SparkTests.model().toString(), "--input", dir.resolve("empty.jsonl").toString(), "--output",
                dir.resolve("o").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("empty.jsonl has no rows"), r.err());
        assertFalse(Files.exists(dir.resolve("o")));
    }
}
