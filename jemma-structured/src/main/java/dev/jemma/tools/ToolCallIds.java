package dev.jemma.tools;

import java.security.SecureRandom;

/** Call ids in OpenAI's shape ("call_" + 24 base-62 characters): 143 random bits, so unique across requests too. */
final class ToolCallIds {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private ToolCallIds() {}

    static String next() {
        StringBuilder sb = new StringBuilder("call_");
        for (int i = 0; i < 24; i++) sb.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        return sb.toString();
    }
}
