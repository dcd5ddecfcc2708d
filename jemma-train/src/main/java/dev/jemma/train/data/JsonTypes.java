package dev.jemma.train.data;

import com.fasterxml.jackson.databind.JsonNode;

/** Words for a JSON value in an error message: its type, and values clipped so a message stays one short line. */
final class JsonTypes {
    private JsonTypes() {}

    static String name(JsonNode n) {
        return switch (n.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case STRING -> "the string \"" + clip(n.textValue()) + "\"";
            case NUMBER -> "the number " + clip(n.asText());
            case BOOLEAN -> n.asText();
            case NULL -> "null";
            default -> n.getNodeType().toString().toLowerCase();
        };
    }

    static String clip(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
}
