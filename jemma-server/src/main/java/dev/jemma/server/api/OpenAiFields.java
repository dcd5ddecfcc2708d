package dev.jemma.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jemma.server.engine.ServedModels;
import dev.jemma.server.http.ApiException;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Request fields that OpenAI's chat and text completions read the same way. */
final class OpenAiFields {
    private static final List<String> COMMON = List.of("model", "lora", "n", "stream", "stream_options", "logprobs", "user",
            "logit_bias", "response_format", "timeout");

    private OpenAiFields() {}

    /** The endpoint's known fields: the common ones, the sampling ones and its own. */
    static Set<String> known(String... own) {
        Set<String> s = new HashSet<>(COMMON);
        s.addAll(SamplingOptions.OPENAI.all());
        s.addAll(List.of(own));
        return Set.copyOf(s);
    }

    /**
     * The model (a served id, or none for the default) with llama-server's optional {@code lora} list, user (accepted,
     * unused) and logit_bias (only empty).
     */
    static ServedModels.Choice check(Params p, ServedModels models) {
        String model = p.string("model", null);
        var lora = p.has("lora") ? LoraList.parse(p.get("lora"), "lora") : null;
        ServedModels.Choice choice = AdapterErrors.call(() -> models.choose(model, lora));
        if (choice == null) throw ApiException.modelNotFound(model);
        p.string("user", null);
        ObjectNode bias = p.object("logit_bias");
        if (bias != null && !bias.isEmpty()) throw ApiException.unsupported("logit_bias", "remove it or send an empty object");
        return choice;
    }

    /** stream_options.include_usage; stream_options only with stream: true, holding only the given fields. */
    static boolean includeUsage(Params p, boolean stream, Set<String> allowed) {
        Params so = p.sub("stream_options");
        if (so == null) return false;
        if (!stream) throw ApiException.invalid("stream_options", "'stream_options' is only allowed with stream: true");
        so.allowOnly(allowed, Set.of());
        for (String k : allowed) so.bool(k, false);
        return so.bool("include_usage", false);
    }

    static int n(Params p, int maxN) {
        return (int) p.integer("n", 1, 1, maxN);
    }
}
