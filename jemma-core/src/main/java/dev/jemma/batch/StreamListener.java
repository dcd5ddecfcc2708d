package dev.jemma.batch;

import dev.jemma.generate.TokenEvent;

import dev.jemma.generate.GenerationResult;

/**
 * Receives one request's output. Called on the scheduler's thread, so implementations must return quickly
 * and never block (hand the event to a queue); exactly one of {@link #onComplete} and {@link #onError} ends
 * the stream. A request cancelled through its {@link Ticket} gets {@link #onError} with a
 * {@link GenerationCancelledException}.
 */
public interface StreamListener {
    void onToken(TokenEvent event);

    void onComplete(GenerationResult result);

    void onError(RuntimeException error);
}
