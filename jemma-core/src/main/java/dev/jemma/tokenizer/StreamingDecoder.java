package dev.jemma.tokenizer;

/**
 * Incremental decoding of one token stream: the concatenation of everything {@link #append} and
 * {@link #flush} return equals {@link Tokenizer#decode} of all ids appended.
 *
 * <p>Byte-fallback tokens ({@code <0xNN>}) are held back until the run of consecutive byte tokens
 * ends (the next non-byte token, or {@link #flush}), so a UTF-8 character is never split. The whole run
 * is needed before anything is emitted because decoding treats a run as one unit: a run that is not
 * valid UTF-8 becomes one U+FFFD per byte (Hugging Face behaviour), even where a prefix of the run was
 * valid. Ordinary tokens are returned at once.
 *
 * <p>Not thread-safe: one instance per stream.
 */
public final class StreamingDecoder {
    private final Tokenizer tokenizer;
    private final Tokenizer.ByteRun run = new Tokenizer.ByteRun();
    private final StringBuilder sb = new StringBuilder();

    StreamingDecoder(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /**
     * Adds one token; returns the text that became final with it (possibly empty).
     *
     * @throws IllegalArgumentException for an id outside the vocabulary
     */
    public String append(int id) {
        int b = tokenizer.byteValueOf(id);
        if (b >= 0) {
            run.add(b);
            return "";
        }
        String piece = tokenizer.decodedPiece(id);
        if (run.isEmpty()) return piece;
        sb.setLength(0);
        run.flushTo(sb);
        sb.append(piece);
        return sb.toString();
    }

    /** Ends the stream: returns whatever is still held back (possibly empty). The decoder can be reused. */
    public String flush() {
        if (run.isEmpty()) return "";
        sb.setLength(0);
        run.flushTo(sb);
        return sb.toString();
    }

    /** True when byte tokens are held back. */
    public boolean hasPending() {
        return !run.isEmpty();
    }
}
