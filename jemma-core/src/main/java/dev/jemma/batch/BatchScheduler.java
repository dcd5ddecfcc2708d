package dev.jemma.batch;

import dev.jemma.JemmaException;
import dev.jemma.generate.FinishReason;
import dev.jemma.generate.GenerationResult;
import dev.jemma.model.ContextOverflowException;
import dev.jemma.model.DecodeBatch;
import dev.jemma.model.Gemma3Model;
import dev.jemma.model.InferenceState;
import dev.jemma.model.PrefixCache;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Continuous batching: many requests share one model. Each active request holds a slot (its own KV
 * cache, reused by later requests); every step of the scheduler's thread prefills one chunk of each newly
 * admitted prompt, then decodes one token for every other active request in a single batched forward
 * pass, so the weights are read once per step for all of them. Requests join and leave between steps;
 * beyond the slots they wait in a bounded FIFO queue.
 *
 * <p>Batch-invariant: a request's tokens do not depend on what else runs with it (decode products use the
 * same arithmetic for any batch size; prompts are computed in chunks at fixed absolute boundaries, and a
 * shared prefix is restored only up to such a boundary). So greedy output equals the output alone.
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
    private final float[][] slotLogits;
    private final DecodeBatch batch;
    private final float[] batchLogits;
    private final InferenceState[] stepStates;
    private final int[] stepTokens;
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
        if (config.contextLength() > model.config.contextLength()) {
            throw new JemmaException("context length " + config.contextLength() + " exceeds the model's trained maximum "
                    + model.config.contextLength());
        }
        int n = config.maxSlots();
        slots = new Job[n];
        states = new InferenceState[n];
        slotLogits = new float[n][];
        batch = model.newDecodeBatch(n);
        batchLogits = new float[n * vocab];
        stepStates = new InferenceState[n];
        stepTokens = new int[n];
        stepJobs = new Job[n];
        // memory for every slot is checked now, so an overloaded server fails at start, not mid-request
        model.newState(config.contextLength(), chunk, config.kvType()).close();
        thread = Thread.ofPlatform().name("jemma-batch").daemon(true).unstarted(this::loop);
        thread.start();
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
        for (int id : request.prompt()) {
            if (id < 0 || id >= vocab) throw new JemmaException("token id " + id + " is outside the vocabulary [0, " + vocab + ")");
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

    /** One scheduler step: admissions and cancellations, a prefill chunk per new prompt, one batched decode. */
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
        for (Job j : slots) {
            if (j == null || j.phase == Job.Phase.DECODE) continue;
            try {
                if (j.phase == Job.Phase.NEW) admit(j);
                prefillChunk(j);
            } catch (RuntimeException e) {
                finish(j, null, e);
            }
        }
        int n = 0;
        for (Job j : slots) {
            if (j != null && j.phase == Job.Phase.DECODE) {
                stepJobs[n] = j;
                stepStates[n] = states[j.slot];
                stepTokens[n] = j.pending;
                n++;
            }
        }
        if (n == 0) return;
        long t0 = System.nanoTime();
        try {
            model.decode(batch, stepStates, stepTokens, n, batchLogits);
        } catch (RuntimeException e) {
            for (int i = 0; i < n; i++) finish(stepJobs[i], null, e);
            return;
        }
        long dt = System.nanoTime() - t0;
        counters.decodeSteps.incrementAndGet();
        counters.decodeNanos.addAndGet(dt);
        counters.busySlotSum.addAndGet(n);
        for (int i = 0; i < n; i++) {
            Job j = stepJobs[i];
            stepJobs[i] = null;
            stepStates[i] = null;
            j.decodeNanos += dt;
            System.arraycopy(batchLogits, i * vocab, slotLogits[j.slot], 0, vocab);
            sampleNext(j);
        }
    }

    private void admit(Job j) {
        int i = j.slot;
        if (states[i] == null) states[i] = model.newState(config.contextLength(), chunk, config.kvType());
        if (slotLogits[i] == null) slotLogits[i] = new float[vocab];
        InferenceState s = states[i];
        s.reset();
        j.start(model);
        int[] prompt = j.request.prompt();
        PrefixCache shared = config.prefixCache();
        int kept = shared == null ? 0 : shared.restore(s, prompt, prompt.length - 1, 0, chunk);
        j.kept = kept;
        j.recording = shared != null && shared.beginRecording(s, prompt.length, kept);
        j.phase = Job.Phase.PREFILL;
    }

    private void prefillChunk(Job j) {
        InferenceState s = states[j.slot];
        int[] prompt = j.request.prompt();
        int pos = s.position();
        int n = Math.min(prompt.length - pos, chunk - pos % chunk);
        long t0 = System.nanoTime();
        boolean last = pos + n == prompt.length;
        model.forward(s, prompt, pos, n, last ? slotLogits[j.slot] : null, false);
        long dt = System.nanoTime() - t0;
        j.prefillNanos += dt;
        counters.promptNanos.addAndGet(dt);
        counters.promptTokens.addAndGet(n);
        if (!last) return;
        if (j.recording) {
            config.prefixCache().finishRecording(s, prompt);
            j.recording = false;
        }
        j.phase = Job.Phase.DECODE;
        sampleNext(j);
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

    /** Ends a job: frees its slot, then tells its listener. */
    private void finish(Job j, FinishReason reason, RuntimeException error) {
        if (j.slot < 0 || slots[j.slot] != j) return;
        InferenceState s = states[j.slot];
        if (j.recording) {
            config.prefixCache().abandonRecording(s);
            j.recording = false;
        }
        s.reset();
        lock.lock();
        try {
            slots[j.slot] = null;
            active--;
        } finally {
            lock.unlock();
        }
        j.slot = -1;
        if (error != null) {
            (error instanceof GenerationCancelledException ? counters.cancelled : counters.failed).incrementAndGet();
            j.fail(error);
        } else {
            counters.completed.incrementAndGet();
            j.complete(reason);
        }
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
        }
    }

    /** Running totals for metrics. */
    static final class Counters {
        final AtomicLong submitted = new AtomicLong(), rejected = new AtomicLong(), completed = new AtomicLong();
        final AtomicLong cancelled = new AtomicLong(), failed = new AtomicLong();
        final AtomicLong promptTokens = new AtomicLong(), promptNanos = new AtomicLong();
        final AtomicLong generatedTokens = new AtomicLong(), decodeNanos = new AtomicLong();
        final AtomicLong decodeSteps = new AtomicLong(), busySlotSum = new AtomicLong();

        BatchMetrics snapshot(int active, int queued, int slots) {
            return new BatchMetrics(active, queued, slots, submitted.get(), rejected.get(), completed.get(), cancelled.get(),
                    failed.get(), promptTokens.get(), promptNanos.get(), generatedTokens.get(), decodeNanos.get(),
                    decodeSteps.get(), busySlotSum.get());
        }
    }
}
