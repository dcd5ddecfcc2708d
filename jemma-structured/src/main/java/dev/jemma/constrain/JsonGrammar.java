package dev.jemma.constrain;

/** Plain JSON mode: any JSON object (OpenAI's {@code json_object}) or any JSON value. Built once, shared. */
public final class JsonGrammar {
    private JsonGrammar() {}

    private static final Grammar OBJECT = build(true), VALUE = build(false);

    /** Any JSON object, bounded whitespace, numbers without exponent. */
    public static Grammar object() {
        return OBJECT;
    }

    /** Any JSON value. */
    public static Grammar value() {
        return VALUE;
    }

    private static Grammar build(boolean object) {
        GrammarBuilder b = new GrammarBuilder(ConstraintLimits.DEFAULT);
        JsonTerms t = new JsonTerms(b);
        return b.build(object ? t.anyObject() : t.anyValue());
    }
}
