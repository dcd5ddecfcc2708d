package dev.jemma.server.api;

import dev.jemma.server.http.ApiException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Typed access to a request object. A value of the wrong type is a 400 naming the parameter, never a silent
 * default; every field must be one the endpoint knows, so a misspelt or unsupported option is refused too.
 */
final class Params {
    private final ObjectNode node;
    private final String prefix;

    Params(ObjectNode node, String prefix) {
        this.node = node;
        this.prefix = prefix;
    }

    static Params of(ObjectNode node) {
        return new Params(node, "");
    }

    ObjectNode node() {
        return node;
    }

    String name(String key) {
        return prefix + key;
    }

    /** Refuses fields outside known; the message distinguishes fields we know but do not implement. */
    void allowOnly(Set<String> known, Set<String> unsupported) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (unsupported.contains(k)) {
                JsonNode v = node.get(k);
                if (v.isNull()) continue;
                throw ApiException.unsupported(name(k), null);
            }
            if (!known.contains(k)) throw ApiException.invalid(name(k), "unknown parameter '" + name(k) + "'");
        }
    }

    boolean has(String key) {
        JsonNode v = node.get(key);
        return v != null && !v.isNull();
    }

    JsonNode get(String key) {
        JsonNode v = node.get(key);
        return v == null || v.isNull() ? null : v;
    }

    String string(String key, String absent) {
        JsonNode v = get(key);
        if (v == null) return absent;
        if (!v.isTextual()) throw ApiException.invalid(name(key), "'" + name(key) + "' must be a string");
        return checkText(name(key), v.asText());
    }

    boolean bool(String key, boolean absent) {
        JsonNode v = get(key);
        if (v == null) return absent;
        if (!v.isBoolean()) throw ApiException.invalid(name(key), "'" + name(key) + "' must be true or false");
        return v.asBoolean();
    }

    /** A finite number in [min, max]. */
    double number(String key, double absent, double min, double max) {
        JsonNode v = get(key);
        if (v == null) return absent;
        if (!v.isNumber()) throw ApiException.invalid(name(key), "'" + name(key) + "' must be a number");
        double d = v.doubleValue();
        if (!Double.isFinite(d) || d < min || d > max) {
            throw ApiException.invalid(name(key), "'" + name(key) + "' = " + v + " is out of range [" + fmt(min) + ", " + fmt(max) + "]");
        }
        return d;
    }

    /** An integer in [min, max]; larger magnitudes than a long are refused. */
    long integer(String key, long absent, long min, long max) {
        JsonNode v = get(key);
        if (v == null) return absent;
        if (!v.isIntegralNumber()) throw ApiException.invalid(name(key), "'" + name(key) + "' must be an integer");
        BigInteger b = v.bigIntegerValue();
        if (b.compareTo(BigInteger.valueOf(min)) < 0 || b.compareTo(BigInteger.valueOf(max)) > 0) {
            throw ApiException.invalid(name(key), "'" + name(key) + "' = " + v + " is out of range [" + min + ", " + max + "]");
        }
        return b.longValue();
    }

    ObjectNode object(String key) {
        JsonNode v = get(key);
        if (v == null) return null;
        if (!v.isObject()) throw ApiException.invalid(name(key), "'" + name(key) + "' must be an object");
        return (ObjectNode) v;
    }

    List<JsonNode> array(String key) {
        JsonNode v = get(key);
        if (v == null) return null;
        if (!v.isArray()) throw ApiException.invalid(name(key), "'" + name(key) + "' must be an array");
        List<JsonNode> out = new ArrayList<>();
        v.forEach(out::add);
        return out;
    }

    Params sub(String key) {
        ObjectNode o = object(key);
        return o == null ? null : new Params(o, name(key) + ".");
    }

    /**
     * Stop strings: a string or an array of at most 4 non-empty strings of bounded length. Stop strings
     * match on text, so they are found even when split across tokens.
     */
    List<String> stops(String key) {
        JsonNode v = get(key);
        if (v == null) return List.of();
        List<String> out = new ArrayList<>();
        if (v.isTextual()) {
            out.add(v.asText());
        } else if (v.isArray()) {
            if (v.size() > 4) throw ApiException.invalid(name(key), "'" + name(key) + "' may hold at most 4 strings, got " + v.size());
            for (JsonNode s : v) {
                if (!s.isTextual()) throw ApiException.invalid(name(key), "'" + name(key) + "' must be a string or an array of strings");
                out.add(s.asText());
            }
        } else {
            throw ApiException.invalid(name(key), "'" + name(key) + "' must be a string or an array of strings");
        }
        for (String s : out) {
            if (s.isEmpty()) throw ApiException.invalid(name(key), "'" + name(key) + "' must not contain an empty string");
            if (s.length() > MAX_STOP_CHARS) throw ApiException.invalid(name(key), "a stop string may be at most " + MAX_STOP_CHARS + " characters");
            checkText(name(key), s);
        }
        return out;
    }

    static final int MAX_STOP_CHARS = 256;

    /** Text that came through JSON escapes may hold a lone UTF-16 surrogate, which is not Unicode: refused. */
    static String checkText(String param, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw ApiException.invalid(param, "'" + param + "' contains a lone UTF-16 surrogate (\\u" + Integer.toHexString(c)
                        + ") at index " + i + ", which is not valid Unicode");
            }
        }
        return s;
    }

    private static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf((long) d) : String.valueOf(d);
    }
}
