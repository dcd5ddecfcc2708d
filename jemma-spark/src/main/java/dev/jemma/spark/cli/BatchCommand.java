package dev.jemma.spark.cli;

import dev.jemma.JemmaException;
import dev.jemma.cli.ChatAdapterOptions;
import dev.jemma.cli.ContextOptions;
import dev.jemma.cli.InputFiles;
import dev.jemma.cli.Log;
import dev.jemma.cli.LoraOptions;
import dev.jemma.cli.ModelOptions;
import dev.jemma.cli.SamplingOptions;
import dev.jemma.spark.GenerateOptions;
import dev.jemma.spark.JemmaSpark;
import dev.jemma.spark.OutputColumns;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

/**
 * {@code jemma batch}: a table of prompts through the model as a Spark job ({@link JemmaSpark#generate}), embedded
 * in local mode unless {@code --master} names a cluster. Every input row comes out once, in part files of the
 * output folder, with its columns kept and the output columns added.
 */
@Command(name = "batch", mixinStandardHelpOptions = true, description = "Answer every row of a JSONL, Parquet or CSV file as an Apache Spark job "
        + "(local mode embedded, or --master spark://...); writes part files, one record per input row.")
public final class BatchCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Mixin LoraOptions lora;
    @Mixin ChatAdapterOptions chatAdapter;
    @Mixin SamplingOptions sampling;
    @Mixin ContextOptions context;

    @Option(names = "--input", required = true, paramLabel = "FILE", description = "the rows: .jsonl/.json, .parquet or .csv (with a header)")
    Path input;
    @Option(names = "--input-format", description = "jsonl, parquet or csv (default: from the file's extension)")
    String inputFormat;
    @Option(names = "--output", required = true, paramLabel = "DIR", description = "the output folder (must not exist, unless --overwrite)")
    Path output;
    @Option(names = "--overwrite", description = "replace an existing output folder")
    boolean overwrite;
    @Option(names = "--format", description = "jsonl (default) or parquet")
    String format = "jsonl";
    @Option(names = "--master", description = "Spark master: local[N] (default: local[*], embedded) or spark://HOST:PORT")
    String master;
    @Option(names = "--prompt-column", description = "the column holding the prompt (default: ${DEFAULT-VALUE})")
    String promptColumn = "prompt";
    @Option(names = "--adapter-column", description = "the column naming each row's adapter (one of the --lora NAME=FILE)")
    String adapterColumn;
    @Option(names = "--seed-column", description = "an integer column holding each row's seed")
    String seedColumn;
    @Option(names = "--raw", description = "plain completion of the text, no chat template")
    boolean raw;
    @Option(names = "--system", description = "system prompt (folded into the user turn)")
    String system;
    @Option(names = "--json-schema", paramLabel = "FILE", description = "constrain every answer to JSON valid for this JSON Schema; adds completion_json")
    Path jsonSchema;
    @Option(names = "--draft-ngram", arity = "0..1", fallbackValue = "3", paramLabel = "N",
            description = "speculative decoding by prompt lookup (n-grams of N down to 2; default N when given without a value: ${FALLBACK-VALUE}); the same text, faster when answers copy from their prompts")
    int draftNgram;
    @Option(names = "--slots", description = "sequences each executor decodes together (default: ${DEFAULT-VALUE})")
    int slots = 8;
    @Option(names = "--partitions", description = "split the input into this many partitions (default: at least the cluster's parallelism)")
    Integer partitions;
    @Option(names = "--ship-files", description = "send the model and adapters with the job instead of expecting them on every node")
    boolean shipFiles;

    @Override
    public Integer call() throws Exception {
        context.checkFlags();
        var params = sampling.params();
        String fmt = format.toLowerCase(Locale.ROOT);
        if (!fmt.equals("jsonl") && !fmt.equals("parquet")) throw new JemmaException("--format must be jsonl or parquet, got " + format);
        String inFmt = inputFormat();
        InputFiles.existing("--input", input);
        if (Files.exists(output) && !overwrite) throw new JemmaException("--output " + output + " already exists (use --overwrite to replace it)");
        if (slots < 1 || slots > 256) throw new JemmaException("--slots must be in [1, 256], got " + slots);
        if (draftNgram < 0) throw new JemmaException("--draft-ngram must be ≥ 1, got " + draftNgram);
        if (partitions != null && partitions < 1) throw new JemmaException("--partitions must be ≥ 1, got " + partitions);
        String schema = jsonSchema == null ? null : InputFiles.text("--json-schema", jsonSchema);

        GenerateOptions o = GenerateOptions.model(model.resolve().toAbsolutePath().toString())
                .sampling(params).chat(!raw).system(system).promptColumn(promptColumn)
                .contextLength(context.ctx() != null ? context.ctx() : 2048).kvType(context.kvType().id())
                .slots(slots).draftNgram(draftNgram).threads(model.threads() == Runtime.getRuntime().availableProcessors() ? 0 : model.threads())
                .shipFiles(shipFiles);
        if (sampling.seed() != null) o = o.seed(sampling.seed());
        Path chat = raw ? null : chatAdapter.resolve(model);
        if (chat != null) o = o.adapter(chat.toAbsolutePath().toString(), 1f);
        for (LoraOptions.Spec s : lora.parsed()) {
            String file = s.file().toAbsolutePath().toString();
            o = s.name() == null ? o.adapter(file, s.scale()) : o.adapter(s.name(), file, s.scale());
        }
        if (adapterColumn != null) o = o.adapterColumn(adapterColumn);
        if (seedColumn != null) o = o.seedColumn(seedColumn);
        if (schema != null) o = o.jsonSchema(schema);

        SparkSession.Builder b = SparkSession.builder().appName("jemma batch")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.json.ignoreNullFields", "false");
        b = b.master(master != null ? master : "local[*]");
        if (master == null || master.startsWith("local")) {
            // embedded: everything stays on loopback, whatever the machine's host name resolves to
            b = b.config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1");
        }
        if (master != null && !master.startsWith("local")) b = b.config("spark.jars", jemmaJar());
        long t0 = System.nanoTime();
        SparkSession spark = b.getOrCreate();
        try {
            Dataset<Row> rows;
            long total;
            int want;
            try {
                rows = read(spark, inFmt);
                if (rows.schema().fields().length == 0) throw new JemmaException("--input " + input + " has no rows");
                int parallelism = spark.sparkContext().defaultParallelism();
                want = partitions != null ? partitions : Math.max(parallelism, rows.rdd().getNumPartitions());
                if (want != rows.rdd().getNumPartitions()) rows = rows.repartition(want);
                total = rows.count();
            } catch (JemmaException e) {
                throw e;
            } catch (Exception e) { // Spark's (checked, thrown from Scala): a malformed line, an unreadable Parquet footer, ...
                throw new JemmaException("--input " + input + ": cannot read it as " + inFmt + ": " + firstLine(e.getMessage()));
            }
            Log.info(String.format("%d rows in %d partitions on %s", total, want, spark.sparkContext().master()));
            Dataset<Row> out = JemmaSpark.generate(rows, o);
            var writer = out.write().mode(overwrite ? SaveMode.Overwrite : SaveMode.ErrorIfExists);
            String dir = output.toAbsolutePath().toString();
            CompletableFuture<Void> job = CompletableFuture.runAsync(() -> {
                if (fmt.equals("parquet")) writer.parquet(dir);
                else writer.option("ignoreNullFields", "false").json(dir);
            });
            long t1 = System.nanoTime();
            follow(job, total, spark.sparkContext().isLocal());
            try {
                job.join();
            } catch (java.util.concurrent.CompletionException e) {
                throw new JemmaException("the Spark job failed: " + rootMessage(e.getCause()));
            }
            Log.info(String.format(Locale.ROOT, "generation job %.1f s (Spark start-up and reading the input %.1f s before it)",
                    (System.nanoTime() - t1) / 1e9, (t1 - t0) / 1e9));
            printSummary(spark, dir, fmt, (System.nanoTime() - t0) / 1e9);
        } finally {
            spark.stop();
            JemmaSpark.closeEngines();
        }
        return 0;
    }

    private String inputFormat() {
        String f = inputFormat;
        if (f == null) {
            String n = input.getFileName().toString().toLowerCase(Locale.ROOT);
            if (n.endsWith(".jsonl") || n.endsWith(".json") || n.endsWith(".ndjson")) f = "jsonl";
            else if (n.endsWith(".parquet")) f = "parquet";
            else if (n.endsWith(".csv")) f = "csv";
            else throw new JemmaException("--input " + input + ": cannot tell the format from the name (use --input-format jsonl|parquet|csv)");
        }
        f = f.toLowerCase(Locale.ROOT);
        if (!f.equals("jsonl") && !f.equals("parquet") && !f.equals("csv")) {
            throw new JemmaException("--input-format must be jsonl, parquet or csv, got " + inputFormat);
        }
        return f;
    }

    private Dataset<Row> read(SparkSession spark, String fmt) {
        String p = input.toAbsolutePath().toString();
        return switch (fmt) {
            case "parquet" -> spark.read().parquet(p);
            case "csv" -> spark.read().option("header", "true").option("multiLine", "true").csv(p);
            // a line that is not JSON fails the job with its file and line, not silently as a null row
            default -> spark.read().option("mode", "FAILFAST").json(p);
        };
    }

    /** A progress bar on stderr: rows finished (local mode: as they finish; on a cluster: as tasks finish). */
    private static void follow(CompletableFuture<Void> job, long total, boolean local) throws InterruptedException {
        long base = JemmaSpark.rowsFinishedInThisJvm();
        try (ProgressBar bar = new ProgressBarBuilder().setTaskName("batch").setInitialMax(Math.max(1, total))
                .setUnit(" rows", 1).setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(System.err))
                .build()) {
            while (!job.isDone()) {
                Thread.sleep(250);
                if (local) bar.stepTo(Math.min(total, JemmaSpark.rowsFinishedInThisJvm() - base));
            }
            if (!job.isCompletedExceptionally()) bar.stepTo(total);
        }
    }

    /** Counts read back from the written output, so a retried task's rows are never counted twice. */
    private static void printSummary(SparkSession spark, String dir, String fmt, double seconds) {
        Dataset<Row> done = fmt.equals("parquet") ? spark.read().parquet(dir) : spark.read().json(dir);
        Row r = done.agg(count(col(OutputColumns.FINISH_REASON)),
                sum(when(col(OutputColumns.ERROR).isNotNull(), 1).otherwise(0)),
                sum(col(OutputColumns.PROMPT_TOKENS)), sum(col(OutputColumns.COMPLETION_TOKENS))).first();
        long rows = r.getLong(0), failed = r.isNullAt(1) ? 0 : r.getLong(1);
        long prompt = r.isNullAt(2) ? 0 : r.getLong(2), completion = r.isNullAt(3) ? 0 : r.getLong(3);
        System.out.printf(Locale.ROOT, "%d rows, %d failed, %d prompt tokens, %d completion tokens in %.1f s: %.2f rows/s, %.1f tokens/s → %s%n",
                rows, failed, prompt, completion, seconds, rows / seconds, completion / seconds, dir);
        System.out.flush();
    }

    private static String firstLine(String m) {
        if (m == null) return "(no message)";
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /** The first message of ours in the cause chain (an executor's JemmaException), else the innermost one. */
    static String rootMessage(Throwable t) {
        Throwable last = t;
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof JemmaException) return c.getMessage();
            last = c;
        }
        return String.valueOf(last.getMessage());
    }

    /** The jar executors need: the shaded one beside this module's jar, or this class's own jar. */
    private static String jemmaJar() {
        try {
            Path self = Path.of(BatchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (self.getFileName().toString().endsWith("-spark.jar")) return self.toString();
            Path dir = self.getParent(); // target/, whether this runs from target/classes or the jar
            try (var files = Files.list(dir)) {
                return files.filter(f -> f.getFileName().toString().endsWith("-spark.jar")).findFirst()
                        .orElseThrow(() -> new JemmaException("no jemma-spark *-spark.jar in " + dir
                                + ": build it with mvn package (executors of a cluster need it)"))
                        .toString();
            }
        } catch (java.net.URISyntaxException | java.io.IOException e) {
            throw new JemmaException("cannot find the jemma-spark jar for the executors: " + e.getMessage());
        }
    }
}
