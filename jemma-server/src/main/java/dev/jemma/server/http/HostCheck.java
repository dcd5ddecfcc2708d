package dev.jemma.server.http;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * DNS-rebinding guard: a server bound to loopback answers only requests whose Host names loopback
 * (localhost, 127.0.0.1, [::1], any port). A page on evil.example whose name resolves to 127.0.0.1 sends
 * Host: evil.example and is refused. Servers bound elsewhere accept any Host. Before that, as HTTP/1.1 requires
 * (RFC 9112 section 3.2), a request needs exactly one Host header with a valid value, else it is a 400.
 */
final class HostCheck {
    private final boolean enabled;

    HostCheck(boolean loopbackBind) {
        this.enabled = loopbackBind;
    }

    /** a name, an IPv4 address or a bracketed IPv6 address, then an optional port */
    private static final Pattern HOST = Pattern.compile("(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._~%!$&'()*+,;=-]+)(:[0-9]{1,5})?");

    /** The one Host value of a request; 400 when there is none, more than one, or one that is not a host. */
    static String single(List<String> values) {
        if (values == null || values.isEmpty()) {
            throw new ApiException(400, "invalid_request_error", null, "bad_host", "the request has no Host header");
        }
        if (values.size() > 1) {
            throw new ApiException(400, "invalid_request_error", null, "bad_host", "the request has more than one Host header");
        }
        String h = values.get(0).strip();
        var m = HOST.matcher(h);
        if (!m.matches() || (m.group(2) != null && !portInRange(m.group(2).substring(1)))) {
            throw new ApiException(400, "invalid_request_error", null, "bad_host", "the Host header is not a valid host[:port]");
        }
        return h;
    }

    private static boolean portInRange(String digits) {
        int p = Integer.parseInt(digits);
        return p >= 1 && p <= 65535;
    }

    boolean accepts(String host) {
        if (!enabled) return true;
        if (host == null) return false;
        String h = host.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            if (end < 0) return false;
            return h.substring(0, end + 1).equals("[::1]") && validPort(h.substring(end + 1));
        }
        int colon = h.indexOf(':');
        String name = colon < 0 ? h : h.substring(0, colon);
        if (colon >= 0 && !validPort(h.substring(colon))) return false;
        return name.equals("localhost") || name.equals("127.0.0.1");
    }

    private static boolean validPort(String rest) {
        if (rest.isEmpty()) return true;
        if (rest.charAt(0) != ':' || rest.length() < 2 || rest.length() > 6) return false;
        for (int i = 1; i < rest.length(); i++) if (!Character.isDigit(rest.charAt(i))) return false;
        return true;
    }
}
