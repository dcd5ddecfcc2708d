package dev.jemma.server.api;

import dev.jemma.generate.IntList;
import dev.jemma.tokenizer.Tokenizer;

/** A prompt without the chat template: BOS and the text's tokens, the text never read as control tokens. */
final class PlainPrompt {
    private PlainPrompt() {}

    static int[] ids(Tokenizer tok, String text) {
        IntList ids = new IntList();
        ids.add(tok.bosId());
        ids.addAll(tok.encode(text));
        return ids.toArray();
    }
}
