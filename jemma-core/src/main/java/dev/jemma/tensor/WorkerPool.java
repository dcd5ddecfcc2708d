package dev.jemma.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of threads that split a range of work items between them. The calling thread takes
 * part as worker 0, so a pool of N threads starts N-1 daemon threads. One job runs at a time
 * ({@link #run} is synchronized); tasks are reusable objects, so a job allocates nothing.
 */
public final class WorkerPool implements AutoCloseable {

    /** Work on items [start, end) by worker {@code worker} (0 ≤ worker < size()). */
    @FunctionalInterface
    public interface RangeTask {
        void run(int worker, int start, int end);
    }

    private final int size;
    private final Thread[] threads;
    private volatile RangeTask task;
    private volatile int items;
    private volatile long epoch;
    private volatile boolean closed;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile Throwable failure;
    /** the calling thread while it sleeps in {@link #run} waiting for the workers, else null */
    private volatile Thread waiter;
    private static final int WAIT_SPINS = 4000;
    /**
     * Spins of an idle worker before it sleeps (some hundreds of microseconds): decoding leaves gaps of that order
     * between products, and a worker woken from sleep starts its slice late (with 2000 spins the synthetic 1B Q4_0
     * decoded ~2% slower; the first token of a one-shot run was the same within this VM's noise).
     */
    private static final int IDLE_SPINS = 20000;

    public WorkerPool(int size) {
        if (size < 1) throw new IllegalArgumentException("threads must be ≥ 1, got " + size);
        this.size = size;
        this.threads = new Thread[size - 1];
        for (int i = 1; i < size; i++) {
            int worker = i;
            Thread t = new Thread(() -> loop(worker), "jemma-worker-" + i);
            t.setDaemon(true);
            threads[i - 1] = t;
            t.start();
        }
    }

    public int size() {
        return size;
    }

    /** Splits [0, n) into {@code size()} contiguous slices and runs them; returns when all are done. */
    public synchronized void run(int n, RangeTask job) {
        if (closed) throw new IllegalStateException("worker pool closed");
        if (size == 1 || n < 2) {
            job.run(0, 0, n);
            return;
        }
        task = job;
        items = n;
        failure = null;
        pending.set(size - 1);
        epoch++;
        for (Thread t : threads) LockSupport.unpark(t);
        Throwable own = null;
        try {
            job.run(0, 0, sliceEnd(0, n));
        } catch (Throwable e) {
            own = e;
        }
        // Spin briefly (the slices usually end within microseconds of each other), then sleep until the last worker
        // wakes this thread: spinning longer takes a core from the JIT's compiler threads while the code is still
        // cold, and on two cores that delayed the first token of a one-shot run.
        int spins = 0;
        while (pending.get() != 0) {
            if (++spins < WAIT_SPINS) {
                Thread.onSpinWait();
            } else {
                waiter = Thread.currentThread();
                while (pending.get() != 0) LockSupport.park(this);
                waiter = null;
            }
        }
        task = null;
        Throwable f = own != null ? own : failure;
        if (f instanceof RuntimeException re) throw re;
        if (f instanceof Error er) throw er;
    }

    private int sliceEnd(int worker, int n) {
        return (int) ((long) n * (worker + 1) / size);
    }

    private void loop(int worker) {
        long seen = 0;
        while (!closed) {
            int spins = 0;
            while (epoch == seen && !closed) {
                if (++spins < IDLE_SPINS) Thread.onSpinWait();
                else LockSupport.parkNanos(200_000);
            }
            if (closed) return;
            seen = epoch;
            RangeTask job = task;
            int n = items;
            try {
                int start = (int) ((long) n * worker / size);
                job.run(worker, start, sliceEnd(worker, n));
            } catch (Throwable e) {
                failure = e;
            } finally {
                if (pending.decrementAndGet() == 0) {
                    Thread w = waiter;
                    if (w != null) LockSupport.unpark(w);
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread t : threads) LockSupport.unpark(t);
    }
}
