package dev.jemma.server.http;

import java.io.IOException;
import java.io.PrintStream;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Every request's way in: a request id, the Host check (loopback binds), CORS (denied unless configured), the
 * browser guard (cross-site POSTs), API keys (if any), then the route. Every client mistake is a 4xx, an internal failure a 500 with the request id,
 * and the server keeps serving after either.
 */
public final class ExchangeHandler implements HttpTransport.Handler {
    private final HostCheck hostCheck;
    private final Cors cors;
    private final BrowserGuard browsers;
    private final ApiKeys keys;
    private final Router router;
    private final ResponseWriter out;
    private final RequestCounters counters;
    private final PrintStream log;

    public ExchangeHandler(boolean loopbackBind, List<String> corsOrigins, List<String> apiKeys, Router router,
                           ResponseWriter out, RequestCounters counters, PrintStream log) {
        this.hostCheck = new HostCheck(loopbackBind);
        this.cors = new Cors(corsOrigins);
        this.browsers = new BrowserGuard(cors);
        this.keys = new ApiKeys(apiKeys);
        this.router = router;
        this.out = out;
        this.counters = counters;
        this.log = log;
    }

    @Override
    public void handle(Exchange ex) {
        counters.received();
        String requestId = requestId(ex);
        ex.setHeader("X-Request-Id", requestId);
        String path = ex.uri().getRawPath();
        try {
            if (!hostCheck.accepts(HostCheck.single(ex.headers("Host")))) {
                throw new ApiException(403, "permission_error", null, "host_not_allowed",
                        "the Host header is not allowed: this server is bound to loopback and answers only localhost, 127.0.0.1 or [::1]");
            }
            cors.decorate(ex);
            if (ex.method().equals("OPTIONS")) {
                if (!cors.allows(ex.header("Origin"))) {
                    throw new ApiException(403, "permission_error", null, "cors_denied",
                            "cross-origin requests from this origin are not allowed by this server");
                }
                cors.preflight(ex);
                ex.respond(204, 0);
                return;
            }
            browsers.check(ex);
            boolean open = path.equals("/health") || (path.equals("/") && !ex.method().equals("POST"));
            if (keys.enabled() && !open && !keys.accepts(ex)) {
                throw new ApiException(401, "authentication_error", null, "invalid_api_key",
                        "missing or invalid API key: send Authorization: Bearer <key> or X-Api-Key: <key>");
            }
            router.route(ex, path, requestId);
        } catch (ApiException e) {
            ErrorResponse.send(out, ex, path, e);
        } catch (IOException e) {
            // the client went away; nothing more to send
        } catch (RuntimeException | Error e) {
            counters.internalError();
            log.println("jemma: request " + requestId + " failed: " + e);
            ApiException a = new ApiException(500, "api_error", null, "internal_error",
                    "internal error while serving the request (request id " + requestId + "); the server keeps running");
            ErrorResponse.send(out, ex, path, a.with("request_id", requestId));
        }
    }

    /** The client's X-Request-Id when it is a safe token, else a fresh one. */
    private static String requestId(Exchange ex) {
        String given = ex.header("X-Request-Id");
        if (given != null && given.matches("[A-Za-z0-9._-]{1,64}")) return given;
        byte[] b = new byte[8];
        ThreadLocalRandom.current().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
