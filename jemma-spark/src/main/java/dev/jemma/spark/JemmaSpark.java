package dev.jemma.spark;

import dev.jemma.constrain.JsonSchemaCompiler;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF3;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.IntegralType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.from_json;

/**
 * Gemma 3 over a Spark Dataset: every row's prompt answered by the model on the executor that holds the row.
 *
 * <pre>{@code
 * Dataset<Row> out = JemmaSpark.generate(tickets, GenerateOptions.model("/models/gemma-3-270m.gguf")
 *         .adapter("router", "/models/router.gguf", 1f).adapterColumn("adapter")
 *         .temperature(0).maxTokens(16));
 * }</pre>
 *
 * Each executor JVM loads the model once ({@code ExecutorEngine}) and feeds its rows to one continuous-batching
 * scheduler, whose batch-invariant arithmetic makes a row's output independent of what it was batched with: a
 * greedy row equals {@code jemma run --temperature 0}, and with sampling each row's seed comes from the job's
 * seed and the row's content, so a retried task or a rerun gives the same rows. A row that cannot run gets an
 * {@code error} value in its own row; the job goes on.
 */
public final class JemmaSpark {
    private JemmaSpark() {}

    /** The input with {@link OutputColumns} appended (and {@code completion_json} with a JSON Schema). Lazy, as any transformation. */
    public static Dataset<Row> generate(Dataset<Row> input, GenerateOptions options) {
        return generate(input, options, null);
    }

    /** As {@link #generate(Dataset, GenerateOptions)}, counting rows and tokens into {@code metrics} (may be null). */
    public static Dataset<Row> generate(Dataset<Row> input, GenerateOptions options, JemmaMetrics metrics) {
        GenerateOptions o = prepare(input.sparkSession(), options);
        StructType in = input.schema();
        int prompt = column(in, o.promptColumn, "prompt", DataTypes.StringType);
        int adapter = o.adapterColumn == null ? -1 : column(in, o.adapterColumn, "adapter", DataTypes.StringType);
        int seed = o.seedColumn == null ? -1 : column(in, o.seedColumn, "seed", null);
        if (seed >= 0 && !(in.fields()[seed].dataType() instanceof IntegralType)) {
            throw new JemmaSparkException("the seed column '" + o.seedColumn + "' must hold integers, not "
                    + in.fields()[seed].dataType().simpleString());
        }
        StructType outSchema = OutputColumns.appendTo(in);
        if (o.jsonSchema != null && in.getFieldIndex(OutputColumns.COMPLETION_JSON).isDefined()) {
            throw new JemmaSparkException("the input already has a column '" + OutputColumns.COMPLETION_JSON + "', which the output adds");
        }
        MapPartitionsFunction<Row, Row> f = new PartitionGenerator(o, prompt, adapter, seed, metrics);
        Dataset<Row> out = input.mapPartitions(f, Encoders.row(outSchema));
        if (o.jsonSchema != null) {
            out = out.withColumn(OutputColumns.COMPLETION_JSON,
                    from_json(col(OutputColumns.COMPLETION), JsonSchemaStruct.of(o.jsonSchema)));
        }
        return out;
    }

    /**
     * Registers the SQL functions {@code jemma_generate(prompt)} and {@code jemma_generate_with(prompt, adapter,
     * seed)} (adapter and seed may be null), each returning the struct {@link OutputColumns#resultType()}. A UDF
     * answers one row at a time per task, so it batches only across the executor's concurrent tasks; for whole
     * tables {@link #generate} is faster.
     */
    public static void registerUdf(SparkSession spark, GenerateOptions options) {
        GenerateOptions o = prepare(spark, options);
        UDF1<String, Row> one = p -> generateOne(o, p, null, null);
        // the seed arrives as whatever integer type the SQL expression has
        UDF3<String, String, Object, Row> with = (p, a, s) -> s == null || s instanceof Number
                ? generateOne(o, p, a, s == null ? null : ((Number) s).longValue())
                : org.apache.spark.sql.RowFactory.create(RowResult.failed("the seed must be an integer, not "
                        + s.getClass().getSimpleName(), 0).values());
        spark.udf().register("jemma_generate", one, OutputColumns.resultType());
        spark.udf().register("jemma_generate_with", with, OutputColumns.resultType());
    }

    private static Row generateOne(GenerateOptions o, String prompt, String adapter, Long seed) {
        RowRunner runner = new RowRunner(o, ExecutorEngine.get(o));
        RowRunner.Pending p = runner.submit(null, prompt, adapter, seed);
        RowResult r = p.await();
        return org.apache.spark.sql.RowFactory.create(r.values());
    }

    /** Rows this JVM's engines have finished since it started (a local-mode driver's progress). */
    public static long rowsFinishedInThisJvm() {
        return PartitionGenerator.FINISHED.sum();
    }

    /** Closes the engines this JVM loaded (an embedded driver's, in local mode); the next job loads again. */
    public static void closeEngines() {
        ExecutorEngine.closeAll();
    }

    /** Checked options with the job's seed drawn and shipped files registered, ready to travel to the executors. */
    private static GenerateOptions prepare(SparkSession spark, GenerateOptions options) {
        options.check();
        if (options.jsonSchema != null) JsonSchemaCompiler.compile(options.jsonSchema); // a bad schema fails here, on the driver
        SparkContext sc = spark.sparkContext();
        if (options.shipFiles) {
            requireFile(options.modelPath, "model");
            sc.addFile(options.modelPath);
            for (GenerateOptions.Adapter a : options.adapters) {
                requireFile(a.path(), "adapter");
                sc.addFile(a.path());
            }
        } else if (sc.isLocal()) {
            requireFile(options.modelPath, "model"); // the driver is the executor: fail before the job starts
            for (GenerateOptions.Adapter a : options.adapters) requireFile(a.path(), "adapter");
        }
        return options.seed != null ? options : options.seed(ThreadLocalRandom.current().nextLong());
    }

    private static void requireFile(String path, String what) {
        if (!Files.isRegularFile(Path.of(path))) throw new JemmaSparkException("the " + what + " file " + path + " does not exist");
    }

    private static int column(StructType schema, String name, String role, DataType want) {
        if (schema.getFieldIndex(name).isEmpty()) {
            throw new JemmaSparkException("the input has no " + role + " column '" + name + "' (columns: "
                    + String.join(", ", schema.fieldNames()) + ")");
        }
        int i = schema.fieldIndex(name);
        StructField f = schema.fields()[i];
        if (want != null && !f.dataType().equals(want)) {
            throw new JemmaSparkException("the " + role + " column '" + name + "' must hold strings, not " + f.dataType().simpleString());
        }
        return i;
    }
}
