package dev.jemma.train.data;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jemma.tokenizer.Tokenizer;

/** One parsed JSONL row to a {@link TrainingExample}, whichever {@link ExampleFormat} it has. */
final class ExampleEncoder {
    private final Tokenizer tok;
    private final int vocab;
    private ConversationEncoder conversations; // made on first use: a tokenizer without chat tokens can still read text

    ExampleEncoder(Tokenizer tok) {
        this.tok = tok;
        this.vocab = tok.vocabularySize();
    }

    TrainingExample encode(JsonNode row) {
        if (!row.isObject()) throw new InvalidRowException("a row must be a JSON object, got " + JsonTypes.name(row));
        return switch (ExampleFormat.of(row)) {
            case MESSAGES -> conversations().encode(row.get("messages"));
            case PROMPT_COMPLETION -> promptCompletion(row);
            case TEXT -> text(string(row, "text"));
            case TOKENS -> tokens(row);
        };
    }

    private ConversationEncoder conversations() {
        if (conversations == null) {
            try {
                conversations = new ConversationEncoder(tok);
            } catch (IllegalArgumentException e) {
                throw new InvalidRowException(e.getMessage());
            }
        }
        return conversations;
    }

    /**
     * BOS + prompt + completion + EOS, the completion and EOS learned. The prompt and the completion are tokenized
     * separately, so the boundary between them is always a token boundary and the prompt's tokens are exactly what
     * a generation prompt gives (TRL instead tokenizes prompt+completion and takes the prompt's length, which is the
     * same unless a token would straddle the boundary).
     */
    private TrainingExample promptCompletion(JsonNode row) {
        String prompt = string(row, "prompt");
        String completion = string(row, "completion");
        SequenceBuilder out = new SequenceBuilder();
        out.context(tok.bosId());
        out.context(tok.encode(prompt));
        out.learned(tok.encode(completion));
        out.learned(eos());
        return out.build();
    }

    /** BOS + text + EOS, every predicted token learned. */
    private TrainingExample text(String text) {
        SequenceBuilder out = new SequenceBuilder();
        out.context(tok.bosId());
        out.learned(tok.encode(text));
        out.learned(eos());
        return out.build();
    }

    private int eos() {
        if (tok.eosId() < 0) throw new InvalidRowException("the tokenizer defines no EOS token, which this format needs");
        return tok.eosId();
    }

    /** input_ids and labels exactly as given (no BOS added); labels default to input_ids. */
    private TrainingExample tokens(JsonNode row) {
        if (!row.has("input_ids")) throw new InvalidRowException("the row has \"labels\" but no \"input_ids\"");
        int[] ids = ids(row.get("input_ids"), "input_ids", false);
        int[] labels = row.has("labels") && !row.get("labels").isNull() ? ids(row.get("labels"), "labels", true) : ids.clone();
        if (ids.length == 0) throw new InvalidRowException("\"input_ids\" is empty: nothing to learn");
        if (labels.length != ids.length) {
            throw new InvalidRowException("\"labels\" has " + labels.length + " entries but \"input_ids\" has " + ids.length
                    + "; they must be the same length");
        }
        return new TrainingExample(ids, labels);
    }

    private int[] ids(JsonNode a, String field, boolean allowIgnore) {
        if (!a.isArray()) throw new InvalidRowException("\"" + field + "\" must be an array of integers, got " + JsonTypes.name(a));
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = a.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                throw new InvalidRowException(field + "[" + i + "] must be an integer token id, got " + JsonTypes.name(v));
            }
            int id = v.intValue();
            if (!(allowIgnore && id == TrainingExample.IGNORE) && (id < 0 || id >= vocab)) {
                throw new InvalidRowException(field + "[" + i + "] = " + id + " is outside the vocabulary [0, " + vocab + ")"
                        + (allowIgnore ? " and is not -100 (ignored)" : ""));
            }
            out[i] = id;
        }
        return out;
    }

    private static String string(JsonNode row, String field) {
        JsonNode v = row.get(field);
        if (v == null) throw new InvalidRowException("the row has no \"" + field + "\"");
        if (!v.isTextual()) throw new InvalidRowException("\"" + field + "\" must be a string, got " + JsonTypes.name(v));
        return v.textValue();
    }
}
