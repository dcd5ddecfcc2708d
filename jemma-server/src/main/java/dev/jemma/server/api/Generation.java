package dev.jemma.server.api;

import dev.jemma.batch.GenerationRequest;
import dev.jemma.batch.QueueFullException;
import dev.jemma.batch.StreamListener;
import dev.jemma.batch.Ticket;
import dev.jemma.generate.GenerationResult;
import dev.jemma.generate.TokenEvent;
import dev.jemma.model.ContextOverflowException;
import dev.jemma.server.engine.Engine;
import dev.jemma.server.http.ApiException;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The n choices of one API request running in the {@link Engine}. The engine's thread must never
 * block, so each event is put in one queue that the HTTP thread reads. Tokens waiting there are bounded: a
 * client that does not keep up gets its request cancelled (freeing the slots); end events always get through.
 */
final class Generation implements AutoCloseable {
    /** An event of choice {@code index}: a {@link TokenEvent} or an {@link End}. */
    record Item(int index, TokenEvent token, End end) {}

    /** How a choice ended: a result or an error. */
    record End(GenerationResult result, RuntimeException error) {}

    private final LinkedBlockingQueue<Item> queue = new LinkedBlockingQueue<>();
    private final AtomicInteger buffered = new AtomicInteger();
    private final int capacity;
    private final List<Ticket> tickets = new ArrayList<>();
    private volatile boolean overflowed;
    private final Runnable onClose;
    private int open;
    private boolean closed;

    Generation(int capacity, Runnable onClose) {
        this.capacity = capacity;
        this.onClose = onClose;
    }

    /** Submits every request, or none: on a full queue the ones already in are cancelled and 503 is thrown. */
    void submit(Engine engine, List<GenerationRequest> requests) {
        for (int i = 0; i < requests.size(); i++) {
            try {
                Ticket t = engine.submit(requests.get(i), listener(i));
                synchronized (tickets) {
                    tickets.add(t);
                }
                open++;
            } catch (QueueFullException e) {
                cancel();
                throw ApiException.overloaded("the server is busy: " + e.getMessage() + "; retry later", 1);
            } catch (ContextOverflowException e) {
                cancel();
                throw ApiException.contextExceeded(null, requests.get(i).prompt().length, e.contextLength);
            }
        }
        if (overflowed) cancel();
    }

    private StreamListener listener(int index) {
        return new StreamListener() {
            @Override
            public void onToken(TokenEvent event) {
                if (buffered.incrementAndGet() > capacity) {
                    if (!overflowed) {
                        overflowed = true;
                        cancel();
                    }
                    return;
                }
                queue.add(new Item(index, event, null));
            }

            @Override
            public void onComplete(GenerationResult result) {
                queue.add(new Item(index, null, new End(result, null)));
            }

            @Override
            public void onError(RuntimeException error) {
                queue.add(new Item(index, null, new End(null, error)));
            }
        };
    }

    /** True when the client fell so far behind that the request was cancelled. */
    boolean overflowed() {
        return overflowed;
    }

    /** Choices that have not ended yet. */
    int open() {
        return open;
    }

    /** The next event, or null when none came within the timeout. */
    Item poll(long millis) throws InterruptedException {
        Item it = queue.poll(millis, TimeUnit.MILLISECONDS);
        if (it == null) return null;
        if (it.token != null) buffered.decrementAndGet();
        if (it.end != null) open--;
        return it;
    }

    void cancel() {
        List<Ticket> ts;
        synchronized (tickets) {
            ts = List.copyOf(tickets);
        }
        for (Ticket t : ts) t.cancel();
    }

    /** Cancels whatever still runs (client gone, error): the slots are freed within one step. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (open > 0) cancel();
        onClose.run();
    }
}
