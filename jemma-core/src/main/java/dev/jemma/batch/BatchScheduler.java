package dev.jemma.batch;

import dev.jemma.JemmaException;
import dev.jemma.generate.FinishReason;
import dev.jemma.generate.GenerationResult;
import dev.jemma.generate.PrefixReuse;
import dev.jemma.generate.Speculator;
import dev.jemma.model.ContextOverflowException;
import dev.jemma.model.ForwardBatch;
import dev.jemma.model.ImageRuns;
import dev.jemma.model.Gemma3Model;
import dev.jemma.model.InferenceState;
import dev.jemma.model.LinearAdapter;
import dev.jemma.tensor.Arithmetic;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Continuous batching: many requests share one model. Each active request holds a slot (its own KV
 * cache, reused by later requests); every step of the scheduler's thread runs one forward pass holding a chunk
 * of each newly admitted prompt and one token of every other active request, so the weights are read once per
 * step for all of them. Requests join and leave between steps; beyond the slots they wait in a bounded FIFO
 * queue.
 *
 * <p>Batch-invariant: the pass uses {@link Arithmetic#BATCH_INVARIANT}, whose every row is computed the same
 * way whatever else is in the batch and however its prompt is chunked, so a request's tokens and
 * log-probabilities never depend on what runs with it, and greedy output equals the output alone.
 *
 * <p>Thread-safe: {@link #submit} and {@link Ticket#cancel} may be called from any thread. Listeners run
 * on the scheduler thread.
 */
public final class BatchScheduler implements AutoCloseable {
    private final Gemma3Model model;
    private final BatchConfig config;
    private final int vocab;
    private final int chunk;
    /**
     * Prompt tokens per step for each new request. Smaller than a lone prefill's chunk: every running stream
     * waits for the step, so this bounds the pause a new prompt puts into the others' token streams.
     */
    static final int PREFILL_CHUNK = 32;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final ArrayDeque<Job> queue = new ArrayDeque<>();
    private final Job[] slots;
    private final InferenceState[] states;
    private final PrefixReuse[] reuse;
    private final float[][] slotLogits;
    /** each slot's speculative decoding (drafter and budget), when the config asks for it */
    private final Speculator[] speculators;
    /** rows each job put into the running step */
    private final int[] stepRows;
    /** drafted rows one step may verify in all (they bound the logits buffer and the pass) */
    private final int draftRowsPerStep;
    private final ForwardBatch batch = new ForwardBatch();
    private final float[] batchLogits;
    private final Job[] stepJobs;
    private final Thread thread;
    private volatile boolean closed;
    private volatile int active;
    final Counters counters = new Counters();

    public BatchScheduler(Gemma3Model model, BatchConfig config) {
        this.model = model;
        this.config = config;
        this.vocab = model.vocabRows();
        this.chunk = PREFILL_CHUNK;
        model.config.checkContextLength(config.contextLength());
        int n = config.maxSlots();
        slots = new Job[n];
        states = new InferenceState[n];
        reuse = new PrefixReuse[n];
        slotLogits = new float[n][];
        speculators = new Speculator[n];
        // one logit row per request and step, and the drafts of the step's verification passes
        draftRowsPerStep = config.speculation() == null ? 0 : Math.min(n * (rowsPerRequest() - 1), Math.max(16, 2 * n));
        batchLogits = new float[(n + draftRowsPerStep) * vocab];
        stepJobs = new Job[n];
        stepRows = new int[n];
        // memory for every slot is checked now, so an overloaded server fails at start, not mid-request
        model.newState(config.contextLength(), chunk, config.kvType()).close();
        thread = Thread.ofPlatform().name("jemma-batch").daemon(true).unstarted(this::loop);
        thread.start();
    }

    /** The most rows one request puts into a step's logits. */
    private int rowsPerRequest() {
        return config.speculation() == null ? 1 : Math.min(config.speculation().draftMax(), chunk - 1) + 1;
    }

    public BatchConfig config() {
        return config;
    }

    public Gemma3Model model() {
        return model;
    }

    /** Requests holding a slot now. */
    public int activeSlots() {
        return active;
    }

    /** Requests waiting for a slot. */
    public int queuedRequests() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    public BatchMetrics metrics() {
        return counters.snapshot(active, queuedRequests(), config.maxSlots());
    }

    /**
     * Queues a request. Fails at once, without queueing, when the prompt leaves no room in the context
     * ({@link ContextOverflowException}), when the queue is full ({@link QueueFullException}) or after close.
     */
    public Ticket submit(GenerationRequest request, StreamListener listener) {
        if (request.prompt().length >= config.contextLength()) {
            throw ContextOverflowException.prompt(request.prompt().length, config.contextLength());
        }
        int[] prompt = request.prompt();
        ImageRuns images = request.images();
        images.check(prompt.length, model.config.hidden());
        for (int i = 0; i < prompt.length; i++) {
            int id = prompt[i];
            if ((id < 0 || id >= vocab) && images.runAt(i) < 0) {
                throw new JemmaException("token id " + id + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        Job job = new Job(this, request, listener);
        lock.lock();
        try {
            if (closed) throw new GenerationCancelledException("the scheduler is closed");
            // queued jobs not yet admitted count against the free slots first
            if (active + queue.size() >= config.maxSlots() + config.maxQueue()) {
                counters.rejected.incrementAndGet();
                throw new QueueFullException(config.maxSlots(), Math.max(0, active + queue.size() - config.maxSlots()));
            }
            queue.add(job);
            counters.submitted.incrementAndGet();
            work.signal();
        } finally {
            lock.unlock();
        }
        return job;
    }

    void wake() {
        lock.lock();
        try {
            work.signal();
        } finally {
            lock.unlock();
        }
    }

    /** Removes a cancelled job that is still queued; true if it was. */
    boolean dequeue(Job job) {
        lock.lock();
        try {
            return queue.remove(job);
        } finally {
            lock.unlock();
        }
    }

    private void loop() {
        while (true) {
            lock.lock();
            try {
                while (!closed && active == 0 && queue.isEmpty()) work.awaitUninterruptibly();
                if (closed) return;
                int n = active;
                for (int i = 0; i < slots.length && !queue.isEmpty(); i++) {
                    if (slots[i] == null) {
                        Job j = queue.poll();
                        slots[i] = j;
                        j.slot = i;
                        n++;
                    }
                }
                active = n;
            } finally {
                lock.unlock();
            }
            try {
                step();
            } catch (RuntimeException | Error e) {
                // a failure outside one request's own work: fail every active request, keep serving
                for (Job j : slots) if (j != null) finish(j, null, asRuntime(e));
            }
        }
    }

    private static RuntimeException asRuntime(Throwable e) {
        return e instanceof RuntimeException r ? r : new JemmaException("internal error: " + e, e);
    }

    /** One scheduler step: cancellations and deadlines, admissions, then one forward pass for every request. */
    private void step() {
        long now = System.nanoTime();
        for (Job j : slots) {
            if (j == null) continue;
            if (j.cancelReason != null) {
                finish(j, null, new GenerationCancelledException(j.cancelReason));
            } else if (j.request.deadlineNanos() != 0 && now - j.request.deadlineNanos() > 0) {
                finish(j, FinishReason.LENGTH, null);
            }
        }
        batch.clear();
        batch.arithmetic(Arithmetic.BATCH_INVARIANT);
        batch.logits(batchLogits);
        int n = 0, promptRows = 0, decodeRows = 0, draftRoom = draftRowsPerStep;
        for (Job j : slots) {
            if (j == null) continue;
            try {
                if (j.phase == Job.Phase.NEW) admit(j);
                InferenceState s = states[j.slot];
                if (j.phase == Job.Phase.PREFILL) {
                    int[] prompt = j.request.prompt();
                    ImageRuns images = j.request.images();
                    int pos = s.position();
                    // an image's run goes into one pass whole, however long (it sees itself both ways)
                    int end = images.count() == 0 ? Math.min(prompt.length, pos + chunk) : images.chunkEnd(pos, prompt.length, chunk);
                    int rows = end - pos;
                    boolean last = end == prompt.length;
                    int seg = batch.add(s, j.ids(), pos, rows, last ? ForwardBatch.Logits.LAST : ForwardBatch.Logits.NONE);
                    images.addTo(batch, seg, pos, end, model.config.hidden());
                    promptRows += rows;
                    stepRows[n] = 1;
                } else if (speculators[j.slot] != null) {
                    Speculator spec = speculators[j.slot];
                    int room = Math.min(config.contextLength() - s.position() - 1, j.remainingTokens() - 1);
                    int rows = spec.propose(j.pending(), Math.min(room, draftRoom));
                    draftRoom -= rows - 1;
                    batch.add(s, spec.ids(), 0, rows, ForwardBatch.Logits.ALL);
                    decodeRows++; // sequences, not rows: busySlotSum is the mean batch size
                    stepRows[n] = rows;
                } else {
                    batch.add(s, j.pending(), ForwardBatch.Logits.LAST);
                    decodeRows++;
                    stepRows[n] = 1;
                }
                stepJobs[n++] = j;
            } catch (RuntimeException e) {
                finish(j, null, e);
            }
        }
        if (n == 0) return;
        long t0 = System.nanoTime();
        try {
            model.forward(batch);
        } catch (RuntimeException e) {
            for (int i = 0; i < n; i++) {
                finish(stepJobs[i], null, e);
                stepJobs[i] = null;
            }
            return;
        } finally {
            batch.clear();
        }
        long dt = System.nanoTime() - t0;
        if (decodeRows > 0) {
            counters.decodeSteps.incrementAndGet();
            counters.decodeNanos.addAndGet(dt);
            counters.busySlotSum.addAndGet(decodeRows);
        }
        if (promptRows > 0) {
            counters.promptNanos.addAndGet(dt);
            counters.promptTokens.addAndGet(promptRows);
        }
        int logitRow = 0;
        for (int i = 0; i < n; i++) {
            Job j = stepJobs[i];
            stepJobs[i] = null;
            if (j.phase == Job.Phase.DECODE) {
                j.decodeNanos += dt;
                Speculator spec = speculators[j.slot];
                if (spec != null) {
                    int rows = stepRows[i];
                    verifyNext(j, spec, logitRow, rows);
                    logitRow += rows;
                    continue;
                }
                j.reuse.appended(j.pending());
            } else {
                j.prefillNanos += dt;
                int[] prompt = j.request.prompt();
                if (states[j.slot].position() < prompt.length) continue; // more chunks to come
                j.reuse.prefilled(j.key());
                j.phase = Job.Phase.DECODE;
            }
            System.arraycopy(batchLogits, logitRow++ * vocab, slotLogits[j.slot], 0, vocab);
            sampleNext(j);
        }
    }

    private void admit(Job j) {
        int i = j.slot;
        int need = Math.max(chunk, j.request.images().count() > 0 ? j.request.images().length() : 0);
        if (states[i] != null && states[i].maxChunk < need) { // an image run longer than this slot's passes
            states[i].close();
            states[i] = null;
        }
        if (states[i] == null) {
            states[i] = model.newState(config.contextLength(), need, config.kvType());
            reuse[i] = new PrefixReuse(states[i], config.prefixCache());
        }
        if (slotLogits[i] == null) slotLogits[i] = new float[vocab];
        if (config.speculation() != null) {
            if (speculators[i] == null) {
                speculators[i] = new Speculator(config.speculation().drafter(model, config.contextLength()), rowsPerRequest() - 1);
            }
            speculators[i].start(j.request.prompt());
        }
        j.reuse = reuse[i];
        j.start(model);
        LinearAdapter a = j.request.adapter() != null ? j.request.adapter() : model.adapter();
        j.kept = j.reuse.begin(j.key(), a); // another adapter than the slot's last: nothing is kept
        j.kept = j.reuse.keepAtMost(j.request.images().resumeAt(j.kept)); // never resume mid-image
        j.phase = Job.Phase.PREFILL;
    }

    /**
     * Walks a job's verification rows (from logit row {@code first}): the tokens picked are streamed, the drafts
     * the model rejected leave the slot's cache, and the job either goes on or finishes.
     */
    private void verifyNext(Job j, Speculator spec, int first, int rows) {
        InferenceState s = states[j.slot];
        int p0 = s.position() - rows;
        FinishReason end;
        long drafted = spec.draftedTokens(), accepted = spec.acceptedTokens();
        try {
            end = j.verify(spec, batchLogits, first * vocab, vocab, slotLogits[j.slot], p0, config.contextLength());
            j.reuse.verified(spec.ids(), rows, spec.kept());
        } catch (RuntimeException e) {
            finish(j, null, e);
            return;
        }
        counters.generatedTokens.addAndGet(spec.kept());
        counters.drafted.addAndGet(spec.draftedTokens() - drafted);
        counters.accepted.addAndGet(spec.acceptedTokens() - accepted);
        if (end != null) finish(j, end, null);
    }

    /** Samples from the slot's logits, streams the token, and either queues it for decode or finishes. */
    private void sampleNext(Job j) {
        InferenceState s = states[j.slot];
        FinishReason end;
        try {
            end = j.sample(slotLogits[j.slot], s.position(), config.contextLength());
        } catch (RuntimeException e) {
            finish(j, null, e);
            return;
        }
        counters.generatedTokens.incrementAndGet();
        if (end != null) finish(j, end, null);
    }

    /** Ends a job: counts its outcome, frees its slot, then tells its listener. */
    private void finish(Job j, FinishReason reason, RuntimeException error) {
        if (j.slot < 0 || slots[j.slot] != j) return;
        // a failed or cancelled prompt may have left part of itself in the cache: forget it all
        if (j.reuse != null && (error != null || j.phase != Job.Phase.DECODE)) j.reuse.abandon();
        j.reuse = null;
        // counted before the slot is freed, so metrics that show the slot free already count how it ended
        (error == null ? counters.completed : error instanceof GenerationCancelledException ? counters.cancelled : counters.failed)
                .incrementAndGet();
        lock.lock();
        try {
            slots[j.slot] = null;
            active--;
        } finally {
            lock.unlock();
        }
        j.slot = -1;
        if (error != null) j.fail(error);
        else j.complete(reason);
    }

    /** Cancels every request and frees every KV cache. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) return;
            closed = true;
            work.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Job j : queue) j.fail(new GenerationCancelledException("the server is shutting down"));
        queue.clear();
        for (Job j : slots) if (j != null) finish(j, null, new GenerationCancelledException("the server is shutting down"));
        for (int i = 0; i < states.length; i++) {
            if (states[i] != null) states[i].close();
            states[i] = null;
            if (speculators[i] != null) speculators[i].close();
            speculators[i] = null;
        }
    }

    /** Running totals for metrics. */
    static final class Counters {
        final AtomicLong submitted = new AtomicLong(), rejected = new AtomicLong(), completed = new AtomicLong();
        final AtomicLong cancelled = new AtomicLong(), failed = new AtomicLong();
        final AtomicLong promptTokens = new AtomicLong(), promptNanos = new AtomicLong();
        final AtomicLong generatedTokens = new AtomicLong(), decodeNanos = new AtomicLong();
        final AtomicLong decodeSteps = new AtomicLong(), busySlotSum = new AtomicLong();
        final AtomicLong drafted = new AtomicLong(), accepted = new AtomicLong();

        BatchMetrics snapshot(int active, int queued, int slots) {
            return new BatchMetrics(active, queued, slots, submitted.get(), rejected.get(), completed.get(), cancelled.get(),
                    failed.get(), promptTokens.get(), promptNanos.get(), generatedTokens.get(), decodeNanos.get(),
                    decodeSteps.get(), busySlotSum.get(), drafted.get(), accepted.get());
        }
    }
}
