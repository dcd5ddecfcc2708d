package dev.jemma.generate;

import java.util.Objects;

/** One message of a conversation. Roles: system, user, model (assistant is accepted as model). */
public record ChatMessage(Role role, String content) {
    public enum Role { SYSTEM, USER, MODEL }

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    public static ChatMessage system(String text) { return new ChatMessage(Role.SYSTEM, text); }
    public static ChatMessage user(String text) { return new ChatMessage(Role.USER, text); }
    public static ChatMessage model(String text) { return new ChatMessage(Role.MODEL, text); }

    /** Parses "system", "user", "model" or "assistant". */
    public static Role role(String name) {
        return switch (name) {
            case "system" -> Role.SYSTEM;
            case "user" -> Role.USER;
            case "model", "assistant" -> Role.MODEL;
            default -> throw new ChatFormatException("unknown role '" + name + "' (expected system, user, assistant or model)");
        };
    }
}
