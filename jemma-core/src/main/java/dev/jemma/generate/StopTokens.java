package dev.jemma.generate;

import dev.jemma.tokenizer.Tokenizer;

/** The token ids that end a generation: EOS, end-of-turn, and start-of-turn (a model opening a new turn has finished its own). */
public final class StopTokens {
    private StopTokens() {
    }

    public static int[] of(Tokenizer tok) {
        IntList ids = new IntList();
        ids.add(tok.eosId());
        for (String s : new String[] {"<eos>", "<end_of_turn>", "<start_of_turn>"}) {
            int id = tok.idOf(s);
            if (id >= 0) ids.add(id);
        }
        return ids.toArray();
    }
}
