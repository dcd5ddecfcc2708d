package dev.jemma.server.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * API key check. Keys are kept only as SHA-256 digests and compared with {@link MessageDigest#isEqual}
 * (constant time, equal lengths), so neither timing nor a heap dump reveals a key; they are never logged.
 */
final class ApiKeys {
    private final List<byte[]> digests;

    ApiKeys(List<String> keys) {
        this.digests = keys.stream().map(ApiKeys::digest).toList();
    }

    boolean enabled() {
        return !digests.isEmpty();
    }

    /** The key from {@code Authorization: Bearer K} or {@code X-Api-Key: K}, checked against every key. */
    boolean accepts(Exchange ex) {
        String key = null;
        String auth = ex.header("Authorization");
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) key = auth.substring(7).strip();
        if (key == null || key.isEmpty()) key = ex.header("X-Api-Key");
        if (key == null || key.isEmpty()) return false;
        byte[] d = digest(key);
        boolean ok = false;
        for (byte[] k : digests) ok |= MessageDigest.isEqual(d, k); // no early exit
        return ok;
    }

    private static byte[] digest(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
