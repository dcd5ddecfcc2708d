package dev.jemma.server.http;

import java.util.Locale;

/**
 * DNS-rebinding guard: a server bound to loopback answers only requests whose Host names loopback
 * (localhost, 127.0.0.1, [::1], any port). A page on evil.example whose name resolves to 127.0.0.1 sends
 * Host: evil.example and is refused. Servers bound elsewhere accept any Host.
 */
final class HostCheck {
    private final boolean enabled;

    HostCheck(boolean loopbackBind) {
        this.enabled = loopbackBind;
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
