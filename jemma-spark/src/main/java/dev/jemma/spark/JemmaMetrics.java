package dev.jemma.spark;

import org.apache.spark.SparkContext;
import org.apache.spark.util.LongAccumulator;

import java.io.Serializable;

/**
 * A job's counters, as Spark accumulators (they show in the Spark UI under these names). Updated on the executors
 * as rows finish; read on the driver after the action. As with any accumulator updated inside a transformation, a
 * retried task's rows may be counted twice: the output itself never has a row twice.
 */
public final class JemmaMetrics implements Serializable {
    private static final long serialVersionUID = 1L;
    final LongAccumulator rows;
    final LongAccumulator failedRows;
    final LongAccumulator promptTokens;
    final LongAccumulator completionTokens;

    private JemmaMetrics(SparkContext sc) {
        rows = sc.longAccumulator("jemma rows");
        failedRows = sc.longAccumulator("jemma failed rows");
        promptTokens = sc.longAccumulator("jemma prompt tokens");
        completionTokens = sc.longAccumulator("jemma completion tokens");
    }

    public static JemmaMetrics register(SparkContext sc) {
        return new JemmaMetrics(sc);
    }

    void add(RowResult r) {
        rows.add(1);
        if (r.isError()) failedRows.add(1);
        promptTokens.add(r.promptTokens());
        completionTokens.add(r.completionTokens());
    }

    public long rows() { return rows.value(); }

    public long failedRows() { return failedRows.value(); }

    public long promptTokens() { return promptTokens.value(); }

    public long completionTokens() { return completionTokens.value(); }
}
