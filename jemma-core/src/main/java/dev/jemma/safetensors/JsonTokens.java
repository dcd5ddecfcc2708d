package dev.jemma.safetensors;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonToken;

/** Shared pieces of the two JSON readers (safetensors header, weights index). */
final class JsonTokens {
    private JsonTokens() {}

    /**
     * Streaming parser factory: strict JSON (no comments, NaN, single quotes, leading zeros), Jackson's
     * default limits on nesting depth, number and string length, and no interning of field names (which
     * are tensor names here, possibly hundreds of thousands of them).
     */
    static final JsonFactory FACTORY = JsonFactory.builder()
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .build();

    /** What a token is, for messages ("found an array"). */
    static String describe(JsonToken t) {
        if (t == null) return "the end of the JSON";
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT -> "an integer";
            case VALUE_NUMBER_FLOAT -> "a non-integer number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            case END_OBJECT -> "the end of an object";
            case END_ARRAY -> "the end of an array";
            default -> t.toString();
        };
    }

    /** Jackson's message without its source description, with the line and column. */
    static String describe(JacksonException e) {
        String msg = e.getOriginalMessage();
        if (msg == null) msg = e.getClass().getSimpleName();
        msg = SafetensorsFormatException.printable(msg.replace('\n', ' '));
        JsonLocation at = e.getLocation();
        if (at != null && at.getLineNr() > 0) msg += " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
        return msg;
    }
}
