package dev.jemma.generate;

/** Why generation ended: an end-of-turn/EOS token or a stop string (STOP), or a token or context limit (LENGTH). */
public enum FinishReason {
    STOP, LENGTH;

    /** The OpenAI-style name: "stop" or "length". */
    public String apiName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
