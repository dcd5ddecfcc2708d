package dev.jemma.server.http;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Path and method to handler: unknown paths are a 404 JSON error, a known path with another method a 405. */
public final class Router {
    @FunctionalInterface
    public interface Route {
        void serve(Exchange ex, String requestId) throws IOException;
    }

    /** A route for every path under a prefix; gets the rest of the path, URL-decoded. */
    @FunctionalInterface
    public interface PrefixRoute {
        void serve(Exchange ex, String rest) throws IOException;
    }

    private final Map<String, Map<String, Route>> routes = new LinkedHashMap<>();
    private final Map<String, Map<String, PrefixRoute>> prefixes = new LinkedHashMap<>();

    public void add(String method, String path, Route r) {
        routes.computeIfAbsent(path, k -> new LinkedHashMap<>()).put(method, r);
    }

    public void addPrefix(String method, String prefix, PrefixRoute r) {
        prefixes.computeIfAbsent(prefix, k -> new LinkedHashMap<>()).put(method, r);
    }

    void route(Exchange ex, String path, String requestId) throws IOException {
        for (var p : prefixes.entrySet()) {
            if (!path.startsWith(p.getKey())) continue;
            PrefixRoute r = p.getValue().get(ex.method());
            if (r == null) throw notAllowed(String.join(", ", p.getValue().keySet()));
            r.serve(ex, URLDecoder.decode(path.substring(p.getKey().length()), StandardCharsets.UTF_8));
            return;
        }
        Map<String, Route> byMethod = routes.get(path);
        if (byMethod == null) throw ApiException.notFound("no endpoint " + path + "; see README \"jemma serve\" for the API");
        Route r = byMethod.get(ex.method());
        if (r == null) throw notAllowed(String.join(", ", byMethod.keySet()));
        r.serve(ex, requestId);
    }

    private static ApiException notAllowed(String allow) {
        return new ApiException(405, "invalid_request_error", null, "method_not_allowed", "method not allowed here; use " + allow)
                .with("allow", allow);
    }
}
