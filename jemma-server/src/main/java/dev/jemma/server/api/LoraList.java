package dev.jemma.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jemma.adapter.AdapterRegistry;
import dev.jemma.server.http.ApiException;

import java.util.ArrayList;
import java.util.List;

/**
 * llama-server's adapter list, {@code [{"id": 0, "scale": 0.5}, ...]}: a request's {@code lora} field and the body of
 * {@code POST /lora-adapters}. Ids are the registry's; a scale is any finite number (0 leaves the adapter out).
 */
final class LoraList {
    static final int MAX_ENTRIES = 256;

    private LoraList() {}

    static List<AdapterRegistry.Weighted> parse(JsonNode v, String param) {
        if (v == null || !v.isArray()) throw ApiException.invalid(param, "'" + param + "' must be an array of {\"id\": int, \"scale\": number}");
        if (v.size() > MAX_ENTRIES) throw ApiException.invalid(param, "'" + param + "' has more than " + MAX_ENTRIES + " entries");
        List<AdapterRegistry.Weighted> out = new ArrayList<>(v.size());
        for (int i = 0; i < v.size(); i++) {
            JsonNode e = v.get(i);
            String at = param + "[" + i + "]";
            if (!e.isObject()) throw ApiException.invalid(at, "'" + at + "' must be an object with 'id' and 'scale'");
            for (var it = e.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!k.equals("id") && !k.equals("scale")) throw ApiException.invalid(at + "." + k, "unknown field '" + k + "' in '" + at + "'");
            }
            JsonNode id = e.get("id"), scale = e.get("scale");
            if (id == null || !id.canConvertToInt() || !id.isIntegralNumber() || id.asInt() < 0) {
                throw ApiException.invalid(at + ".id", "'" + at + ".id' must be a non-negative integer");
            }
            if (scale == null || !scale.isNumber() || !Double.isFinite(scale.asDouble()) || Math.abs(scale.asDouble()) > 1e6) {
                throw ApiException.invalid(at + ".scale", "'" + at + ".scale' must be a finite number");
            }
            out.add(new AdapterRegistry.Weighted(id.asInt(), (float) scale.asDouble()));
        }
        return out;
    }
}
