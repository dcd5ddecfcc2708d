package dev.jemma.server.api;

import dev.jemma.batch.GenerationRequest;
import dev.jemma.server.ServerState;
import dev.jemma.server.engine.Engine;
import dev.jemma.server.http.ApiException;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The engine and the server's state as the handlers see them: the engine once loaded (503 before), generations
 * admitted only while ready, and the running ones tracked so a shutdown can wait for them or cancel them.
 */
public final class Serving {
    private volatile Engine engine;
    private volatile ServerState state = ServerState.LOADING;
    private final Set<Generation> running = ConcurrentHashMap.newKeySet();

    public void ready(Engine loaded) {
        engine = loaded;
        state = ServerState.READY;
    }

    /** New generations are refused from now on; running ones go on. */
    public void drain() {
        state = ServerState.DRAINING;
    }

    /** Stopped; returns the engine (null if it never loaded) for the caller to close. */
    public Engine stop() {
        state = ServerState.STOPPED;
        return engine;
    }

    /** Generations (API requests) running now, streams included. */
    public int inFlight() {
        return running.size();
    }

    public ServerState state() {
        return state;
    }

    /** The engine, or null while loading. */
    public Engine engineOrNull() {
        return engine;
    }

    /** Cancels every running generation: its slots free within one step, its client gets an error. */
    public void cancelAll() {
        for (Generation g : running) g.cancel();
    }

    /** The engine; 503 while the model is still loading. */
    Engine engine() {
        Engine e = engine;
        if (e == null || state == ServerState.LOADING) throw ApiException.overloaded("the model is still loading; retry shortly", 5);
        return e;
    }

    /** Submits the requests (503 unless ready, or when the queue is full) and tracks them until closed. */
    Generation start(List<GenerationRequest> requests, int eventBuffer) {
        if (state != ServerState.READY) {
            boolean loading = state == ServerState.LOADING;
            throw ApiException.overloaded(loading ? "the model is still loading" : "the server is shutting down", loading ? 5 : 30);
        }
        Generation[] self = new Generation[1];
        Generation g = self[0] = new Generation(eventBuffer, () -> running.remove(self[0]));
        running.add(g);
        try {
            g.submit(engine, requests);
        } catch (RuntimeException e) {
            g.close();
            throw e;
        }
        return g;
    }
}
