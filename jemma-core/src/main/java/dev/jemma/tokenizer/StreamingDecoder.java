package dev.jemma.tokenizer;

/** PLACEHOLDER */
public final class StreamingDecoder {
    private final Tokenizer t;
    StreamingDecoder(Tokenizer t) { this.t = t; }
    public String append(int id) { return t.decode(new int[] {id}); }
    public String flush() { return ""; }
}
