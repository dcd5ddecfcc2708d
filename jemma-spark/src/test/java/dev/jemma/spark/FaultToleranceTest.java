package dev.jemma.spark;

import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Acceptance (b): a task dies in the middle of its partition, with rows in flight on the engine; Spark retries it
 * and the written output still holds every row exactly once, with the rows a clean run gives.
 */
class FaultToleranceTest {
    /** Passes rows through, but the first attempt of partition 0 dies after 25 of them (an executor-side fault). */
    static final class DieMidPartition implements MapPartitionsFunction<Row, Row> {
        /** Faults thrown (local mode: the tasks run in this JVM). */
        static final java.util.concurrent.atomic.AtomicInteger FAULTS = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public Iterator<Row> call(Iterator<Row> in) {
            TaskContext ctx = TaskContext.get();
            boolean die = ctx.partitionId() == 0 && ctx.attemptNumber() == 0;
            return new Iterator<>() {
                int n;

                @Override
                public boolean hasNext() {
                    return in.hasNext();
                }

                @Override
                public Row next() {
                    if (die && ++n > 25) {
                        FAULTS.incrementAndGet();
                        throw new IllegalStateException("injected executor fault after 25 rows");
                    }
                    return in.next();
                }
            };
        }
    }

    @Test
    void aTaskKilledMidPartitionLosesAndDuplicatesNoRow(@TempDir Path dir) throws Exception {
        List<String> prompts = SparkTests.prompts(120);
        Dataset<Row> table = GreedyRowsTest.table(prompts).repartition(2);
        Dataset<Row> faulty = table.mapPartitions(new DieMidPartition(), Encoders.row(table.schema()));
        GenerateOptions o = SamplingAndSchemaTest.options().temperature(0.8f).seed(11).maxTokens(10).slots(4);
        Map<Integer, Row> clean = GreedyRowsTest.byId(JemmaSpark.generate(table, o));

        String out = dir.resolve("out").toString();
        JemmaSpark.generate(faulty, o).write().json(out);
        List<Row> written = SparkTests.spark().read().json(out).collectAsList();
        assertEquals(120, written.size(), "rows written");
        Map<Integer, Row> byId = new java.util.HashMap<>();
        for (Row r : written) {
            int id = (int) r.getLong(r.fieldIndex("id"));
            assertTrue(byId.put(id, r) == null, "row " + id + " written twice");
        }
        for (int i = 0; i < 120; i++) {
            assertEquals((String) clean.get(i).getAs("completion"), byId.get(i).getAs("completion"), "row " + i + " after the retry");
        }
        // the dead attempt's rows in flight were cancelled: the engine's slots are free again
        ExecutorEngine e = ExecutorEngine.get(o);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (e.scheduler.activeSlots() + e.scheduler.queuedRequests() > 0 && System.nanoTime() < deadline) Thread.sleep(20);
        assertEquals(0, e.scheduler.activeSlots() + e.scheduler.queuedRequests());
        assertEquals(1, DieMidPartition.FAULTS.get(), "the fault was injected once");
    }
}
