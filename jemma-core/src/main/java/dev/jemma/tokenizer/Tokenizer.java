package dev.jemma.tokenizer;

/** PLACEHOLDER until the tokenizer work lands. */
public final class Tokenizer {
    private final String[] tokens;
    private Tokenizer(String[] t) { tokens = t; }
    public static Tokenizer fromTokenizerJson(java.nio.file.Path p) { throw new UnsupportedOperationException(); }
    public static Tokenizer fromGGUF(dev.jemma.gguf.GGUFMetadata md) { return new Tokenizer(md.stringArray("tokenizer.ggml.tokens")); }
    public int[] encode(String text) { throw new UnsupportedOperationException(); }
    public int[] encodeWithSpecial(String text) { throw new UnsupportedOperationException(); }
    public String decode(int[] ids) { StringBuilder b = new StringBuilder(); for (int i : ids) b.append(tokens[i].replace('\u2581', ' ')); return b.toString(); }
    public String tokenText(int id) { return tokens[id]; }
    public int vocabularySize() { return tokens.length; }
    public int bosId() { return 2; }
    public int eosId() { return 1; }
    public int padId() { return 0; }
    public int unkId() { return 3; }
    public int idOf(String piece) { for (int i = 0; i < tokens.length; i++) if (tokens[i].equals(piece)) return i; return -1; }
    public boolean isControl(int id) { return false; }
    public StreamingDecoder streamingDecoder() { return new StreamingDecoder(this); }
}
