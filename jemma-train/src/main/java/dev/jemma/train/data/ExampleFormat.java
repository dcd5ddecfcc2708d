package dev.jemma.train.data;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * The row formats Hugging Face datasets come in, told apart by their fields. Other fields (ids, sources, ...) are
 * ignored, as TRL ignores extra columns; a row with the fields of two formats is refused as ambiguous.
 */
public enum ExampleFormat {
    /** {@code {"messages": [{"role", "content"}, ...]}}: a conversation; the model turns are learned. */
    MESSAGES("\"messages\""),
    /** {@code {"prompt", "completion"}}: the completion and EOS are learned. */
    PROMPT_COMPLETION("\"prompt\"+\"completion\""),
    /** {@code {"text"}}: every token is learned. */
    TEXT("\"text\""),
    /** {@code {"input_ids", "labels"?}}: taken exactly as given. */
    TOKENS("\"input_ids\" (+ \"labels\")");

    private final String fields;

    ExampleFormat(String fields) {
        this.fields = fields;
    }

    static ExampleFormat of(JsonNode row) {
        List<ExampleFormat> found = new ArrayList<>();
        if (row.has("messages")) found.add(MESSAGES);
        if (row.has("prompt") || row.has("completion")) found.add(PROMPT_COMPLETION);
        if (row.has("text")) found.add(TEXT);
        if (row.has("input_ids") || row.has("labels")) found.add(TOKENS);
        if (found.isEmpty()) {
            throw new InvalidRowException("the row has none of the known field sets: " + known());
        }
        if (found.size() > 1) {
            throw new InvalidRowException("the row has the fields of " + found.get(0).fields + " and of " + found.get(1).fields
                    + "; use one format per row");
        }
        return found.get(0);
    }

    private static String known() {
        StringBuilder b = new StringBuilder();
        for (ExampleFormat f : values()) b.append(b.isEmpty() ? "" : ", ").append(f.fields);
        return b.toString();
    }
}
