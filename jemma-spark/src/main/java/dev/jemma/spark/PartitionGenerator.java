package dev.jemma.spark;

import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.TaskCompletionListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The job's per-partition function: rows stream through a window of in-flight requests on the executor's
 * engine (twice its slots, so the scheduler always has the next row when one finishes) and leave in input order,
 * each with its output columns appended. Nothing is buffered beyond the window. When the task ends early (killed,
 * failed upstream, or its consumer stopped) the rows still in flight are cancelled, freeing their slots; the
 * retried task computes them again, with the same seeds.
 */
final class PartitionGenerator implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(PartitionGenerator.class);
    /** Rows finished by every task of this JVM. */
    static final java.util.concurrent.atomic.LongAdder FINISHED = new java.util.concurrent.atomic.LongAdder();

    private final GenerateOptions options;
    private final int promptIndex;
    private final int adapterIndex;
    private final int seedIndex;
    private final JemmaMetrics metrics;

    PartitionGenerator(GenerateOptions options, int promptIndex, int adapterIndex, int seedIndex, JemmaMetrics metrics) {
        this.options = options;
        this.promptIndex = promptIndex;
        this.adapterIndex = adapterIndex;
        this.seedIndex = seedIndex;
        this.metrics = metrics;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        ExecutorEngine engine = ExecutorEngine.get(options);
        return new Rows(input, new RowRunner(options, engine), 2 * options.slots);
    }

    private final class Rows implements Iterator<Row> {
        private final Iterator<Row> input;
        private final RowRunner runner;
        private final int window;
        private final ArrayDeque<RowRunner.Pending> inFlight = new ArrayDeque<>();
        private final long started = System.nanoTime();
        private long rows, failed, tokens;
        private boolean logged;

        Rows(Iterator<Row> input, RowRunner runner, int window) {
            this.input = input;
            this.runner = runner;
            this.window = window;
            TaskContext ctx = TaskContext.get();
            if (ctx != null) ctx.addTaskCompletionListener((TaskCompletionListener) c -> cancelInFlight());
        }

        private void fill() {
            while (inFlight.size() < window && input.hasNext()) {
                Row r = input.next();
                String prompt = r.isNullAt(promptIndex) ? null : r.getString(promptIndex);
                String adapter = adapterIndex < 0 || r.isNullAt(adapterIndex) ? null : r.getString(adapterIndex);
                Long seed = seedIndex < 0 || r.isNullAt(seedIndex) ? null : ((Number) r.get(seedIndex)).longValue();
                inFlight.add(runner.submit(r, prompt, adapter, seed));
            }
        }

        @Override
        public boolean hasNext() {
            fill();
            if (inFlight.isEmpty()) {
                logOnce();
                return false;
            }
            return true;
        }

        @Override
        public Row next() {
            if (!hasNext()) throw new NoSuchElementException();
            RowRunner.Pending p = inFlight.peek();
            RowResult result = p.await();
            inFlight.poll();
            rows++;
            FINISHED.increment();
            if (result.isError()) failed++;
            tokens += result.completionTokens();
            if (metrics != null) metrics.add(result);
            return append((Row) p.input, result);
        }

        private void cancelInFlight() {
            for (RowRunner.Pending p : inFlight) p.cancel();
            inFlight.clear();
        }

        private void logOnce() {
            if (logged) return;
            logged = true;
            double s = (System.nanoTime() - started) / 1e9;
            TaskContext ctx = TaskContext.get();
            LOG.info(String.format("jemma: partition %s: %d rows (%d failed), %d tokens in %.1f s (%.1f tokens/s)",
                    ctx == null ? "-" : String.valueOf(ctx.partitionId()), rows, failed, tokens, s, tokens / Math.max(s, 1e-9)));
        }
    }

    static Row append(Row in, RowResult result) {
        Object[] extra = result.values();
        Object[] values = new Object[in.length() + extra.length];
        for (int i = 0; i < in.length(); i++) values[i] = in.get(i);
        System.arraycopy(extra, 0, values, in.length(), extra.length);
        return RowFactory.create(values);
    }
}
