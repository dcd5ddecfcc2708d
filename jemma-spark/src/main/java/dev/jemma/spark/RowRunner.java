package dev.jemma.spark;

import dev.jemma.JemmaException;
import dev.jemma.batch.GenerationCancelledException;
import dev.jemma.batch.GenerationRequest;
import dev.jemma.batch.QueueFullException;
import dev.jemma.batch.StreamListener;
import dev.jemma.batch.Ticket;
import dev.jemma.generate.ChatMessage;
import dev.jemma.generate.ChatTemplate;
import dev.jemma.generate.GenerationResult;
import dev.jemma.generate.SamplingParams;
import dev.jemma.generate.TokenEvent;
import dev.jemma.model.LinearAdapter;
import dev.jemma.tokenizer.Tokenizer;
import org.apache.spark.TaskContext;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Turns one row's prompt into a request on the executor's engine, exactly as {@code jemma run} renders it (the
 * chat template with an optional system turn, or BOS + the text), and its result into output columns. A row that
 * cannot run (null or oversized prompt, unknown adapter, prompt longer than the context) gets its error at once
 * and never reaches the scheduler.
 */
final class RowRunner {
    private final GenerateOptions options;
    private final ExecutorEngine engine;
    private final Tokenizer tok;
    private final ChatTemplate template;
    private final SamplingParams params;
    private final long jobSeed;

    RowRunner(GenerateOptions options, ExecutorEngine engine) {
        this.options = options;
        this.engine = engine;
        this.tok = engine.model.tokenizer;
        this.template = new ChatTemplate(tok);
        this.params = SamplingParams.GEMMA_DEFAULTS
                .withTemperature(options.temperature).withTopK(options.topK).withTopP(options.topP)
                .withMinP(options.minP)
                .withPenalties(options.repeatPenalty, options.presencePenalty, options.frequencyPenalty)
                .withMaxTokens(options.maxTokens).withStop(options.stop);
        if (options.seed == null) throw new IllegalStateException("the job seed is drawn on the driver");
        this.jobSeed = options.seed;
        if (options.jsonSchema != null) engine.grammar(options.jsonSchema);
    }

    /** A row in flight: its result now (an error) or later (from the scheduler). */
    static final class Pending implements StreamListener {
        final Object input;
        final CompletableFuture<RowResult> result = new CompletableFuture<>();
        volatile Ticket ticket;
        private final int promptTokens;

        Pending(Object input, int promptTokens) {
            this.input = input;
            this.promptTokens = promptTokens;
        }

        @Override
        public void onToken(TokenEvent event) {}

        @Override
        public void onComplete(GenerationResult r) {
            result.complete(RowResult.of(r));
        }

        @Override
        public void onError(RuntimeException error) {
            // the request's own failure (context overflow mid-generation, a constraint error) stays in its row
            result.complete(RowResult.failed(message(error), promptTokens));
        }

        void cancel() {
            Ticket t = ticket;
            if (t != null) t.cancel();
        }

        /**
         * Waits for the row, checking every 100 ms whether Spark killed the task, so a cancelled job stops
         * at once instead of after the row.
         */
        RowResult await() {
            TaskContext ctx = TaskContext.get();
            while (true) {
                if (ctx != null) ctx.killTaskIfInterrupted();
                try {
                    return result.get(100, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    // check for a kill, then wait again
                } catch (InterruptedException e) {
                    cancel();
                    Thread.currentThread().interrupt();
                    throw new JemmaSparkException("interrupted while generating", e);
                } catch (ExecutionException e) {
                    throw new IllegalStateException(e.getCause());
                }
            }
        }
    }

    /** Starts the row's generation (or records its error); never blocks. */
    Pending submit(Object input, String prompt, String adapterName, Long rowSeed) {
        if (prompt == null) return failed(input, "the prompt is null");
        if (prompt.length() > options.maxPromptChars) {
            return failed(input, "the prompt is " + prompt.length() + " characters, more than the limit of "
                    + options.maxPromptChars);
        }
        LinearAdapter adapter = null;
        if (adapterName != null) {
            adapter = engine.named.get(adapterName);
            if (adapter == null) return failed(input, "unknown adapter '" + adapterName + "' (known: " + engine.named.keySet() + ")");
        }
        int[] ids = ids(prompt);
        if (ids.length >= options.contextLength) {
            Pending p = new Pending(input, ids.length);
            p.result.complete(RowResult.failed("the prompt is " + ids.length + " tokens; the context holds "
                    + options.contextLength + " (prompt and completion together)", ids.length));
            return p;
        }
        long seed = rowSeed != null ? rowSeed : RowSeeds.of(jobSeed, prompt, adapterName);
        var constraint = options.jsonSchema == null ? null : engine.grammar(options.jsonSchema).constraint(tok);
        GenerationRequest r = new GenerationRequest(ids, params.withSeed(seed), constraint, -1, 0, adapter);
        Pending p = new Pending(input, ids.length);
        try {
            p.ticket = engine.scheduler.submit(r, p);
        } catch (QueueFullException | GenerationCancelledException e) {
            throw e; // the engine's trouble, not the row's: the task fails and Spark retries it
        } catch (JemmaException e) {
            p.result.complete(RowResult.failed(message(e), ids.length));
        }
        return p;
    }

    private static Pending failed(Object input, String error) {
        Pending p = new Pending(input, 0);
        p.result.complete(RowResult.failed(error, 0));
        return p;
    }

    /** The prompt's ids as {@code jemma run} makes them. */
    int[] ids(String prompt) {
        if (!options.chat) {
            int[] body = tok.encode(prompt);
            int[] ids = new int[body.length + 1];
            ids[0] = tok.bosId();
            System.arraycopy(body, 0, ids, 1, body.length);
            return ids;
        }
        List<ChatMessage> turns = new ArrayList<>(2);
        if (options.system != null && !options.system.isEmpty()) turns.add(ChatMessage.system(options.system));
        turns.add(ChatMessage.user(prompt));
        return template.render(turns, true).toArray();
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }
}
