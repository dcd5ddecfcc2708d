package dev.jemma.server.api;

import dev.jemma.batch.BatchMetrics;
import dev.jemma.server.ServerState;
import dev.jemma.server.engine.Engine;
import dev.jemma.server.http.RequestCounters;

import java.util.Locale;

/**
 * Prometheus text exposition. Names mirror llama.cpp's (llamacpp:* → jemma:*) where the meaning matches, so
 * dashboards carry over: requests_processing is the active slots, requests_deferred the queue.
 */
final class Metrics {
    private Metrics() {}

    static String render(Serving serving, RequestCounters counters) {
        StringBuilder sb = new StringBuilder();
        Engine engine = serving.engineOrNull();
        if (engine != null) {
            BatchMetrics b = engine.metrics();
            counter(sb, "prompt_tokens_total", "Prompt tokens processed (computed, not restored from the prefix cache).", b.promptTokens());
            counter(sb, "prompt_seconds_total", "Prompt processing time.", b.promptNanos() / 1e9);
            counter(sb, "tokens_predicted_total", "Tokens generated.", b.generatedTokens());
            counter(sb, "tokens_predicted_seconds_total", "Decode time (batched steps).", b.decodeNanos() / 1e9);
            gauge(sb, "prompt_tokens_seconds", "Average prompt throughput in tokens/s.", b.promptNanos() == 0 ? 0 : b.promptTokens() / (b.promptNanos() / 1e9));
            gauge(sb, "predicted_tokens_seconds", "Average aggregate generation throughput in tokens/s.", b.decodeNanos() == 0 ? 0 : b.generatedTokens() / (b.decodeNanos() / 1e9));
            gauge(sb, "requests_processing", "Requests holding a slot (active slots).", b.activeSlots());
            gauge(sb, "requests_deferred", "Requests waiting for a slot.", b.queuedRequests());
            gauge(sb, "slots_total", "Slots (sequences decoded together).", b.maxSlots());
            counter(sb, "n_decode_total", "Batched decode steps.", b.decodeSteps());
            gauge(sb, "n_busy_slots_per_decode", "Average sequences per decode step.", b.decodeSteps() == 0 ? 0 : (double) b.busySlotSum() / b.decodeSteps());
            counter(sb, "draft_tokens_total", "Speculative decoding: tokens drafted and verified.", b.draftedTokens());
            counter(sb, "draft_accepted_tokens_total", "Speculative decoding: drafted tokens the model kept.", b.acceptedTokens());
            gauge(sb, "draft_acceptance_rate", "Speculative decoding: share of drafted tokens kept.", b.draftedTokens() == 0 ? 0 : (double) b.acceptedTokens() / b.draftedTokens());
            counter(sb, "requests_submitted_total", "Generations accepted by the scheduler.", b.requestsSubmitted());
            counter(sb, "requests_rejected_total", "Generations refused because the queue was full (503).", b.requestsRejected());
            counter(sb, "requests_completed_total", "Generations that finished.", b.requestsCompleted());
            counter(sb, "requests_cancelled_total", "Generations cancelled (client gone, deadline in queue, shutdown).", b.requestsCancelled());
            counter(sb, "requests_failed_total", "Generations that failed inside the scheduler.", b.requestsFailed());
            long cache = engine.prefixCacheBytes();
            if (cache >= 0) gauge(sb, "prefix_cache_bytes", "Memory held by the shared prompt-prefix cache.", cache);
        }
        counter(sb, "http_requests_total", "HTTP requests received.", counters.receivedCount());
        counter(sb, "http_internal_errors_total", "Requests answered with an internal error (500 or a stream error event).", counters.internalErrorCount());
        gauge(sb, "ready", "1 when the model is loaded and the server accepts work.", serving.state() == ServerState.READY ? 1 : 0);
        return sb.toString();
    }

    private static void counter(StringBuilder sb, String name, String help, double v) {
        metric(sb, name, "counter", help, v);
    }

    private static void gauge(StringBuilder sb, String name, String help, double v) {
        metric(sb, name, "gauge", help, v);
    }

    private static void metric(StringBuilder sb, String name, String type, String help, double v) {
        sb.append("# HELP jemma:").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE jemma:").append(name).append(' ').append(type).append('\n');
        sb.append("jemma:").append(name).append(' ');
        if (v == Math.rint(v) && Math.abs(v) < 1e15) sb.append((long) v);
        else sb.append(String.format(Locale.ROOT, "%.6f", v));
        sb.append('\n');
    }
}
