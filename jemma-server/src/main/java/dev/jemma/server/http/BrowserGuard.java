package dev.jemma.server.http;

import java.net.URI;
import java.util.Locale;

/**
 * Keeps web pages of other sites from driving the model. A browser lets any page send a "simple" cross-site POST
 * (form or text/plain body, no preflight): the page cannot read the answer, but the model runs and a slot is
 * held. So a POST whose Origin is neither this server's own (the web chat page) nor allowed by --cors-origin is
 * refused (403, as Ollama does), and a POST body must be declared JSON (415 otherwise): a page can only send a
 * JSON content type after a preflight, which CORS then decides.
 */
final class BrowserGuard {
    private final Cors cors;

    BrowserGuard(Cors cors) {
        this.cors = cors;
    }

    void check(Exchange ex) {
        if (!ex.method().equals("POST")) return;
        String origin = ex.header("Origin");
        boolean allowed = cors.allows(origin);
        if (origin != null && !allowed && !sameHost(origin, ex.header("Host"))) {
            throw new ApiException(403, "permission_error", null, "origin_not_allowed",
                    "requests from web pages of another origin (" + printable(origin) + ") are not allowed by this server");
        }
        String type = ex.header("Content-Type");
        if (type != null && !allowed && !isJson(type)) {
            throw new ApiException(415, "invalid_request_error", null, "unsupported_media_type",
                    "the request body must be JSON sent with Content-Type: application/json (got " + printable(type) + ")");
        }
    }

    /** The page's origin names this very server (scheme aside, since a TLS proxy may stand in front). */
    static boolean sameHost(String origin, String host) {
        if (host == null) return false;
        try {
            URI u = new URI(origin);
            if (u.getHost() == null) return false;
            String authority = u.getRawAuthority();
            return authority != null && authority.equalsIgnoreCase(host.strip());
        } catch (java.net.URISyntaxException e) {
            return false;
        }
    }

    static boolean isJson(String contentType) {
        String media = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        return media.equals("application/json") || (media.startsWith("application/") && media.endsWith("+json"));
    }

    private static String printable(String s) {
        String t = s.length() > 80 ? s.substring(0, 80) + "…" : s;
        return t.replaceAll("[^\\x20-\\x7E]", "?");
    }
}
