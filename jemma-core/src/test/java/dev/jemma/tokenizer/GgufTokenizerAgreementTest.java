package dev.jemma.tokenizer;

import dev.jemma.gguf.GGUFFile;
import dev.jemma.tokenizer.TokenizerAssets.Case;
import dev.jemma.tokenizer.TokenizerConformanceTest.Mismatches;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.jemma.tokenizer.TokenizerConformanceTest.show;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tokenizer read from the real Gemma 3 270M GGUF must give the same ids as the tokenizer.json one
 * (and so as Hugging Face) on every case.
 */
class GgufTokenizerAgreementTest {

    static List<String> allTexts() {
        List<String> texts = new ArrayList<>();
        for (Case c : TokenizerAssets.publicCases()) texts.add(c.text());
        for (Case c : TokenizerAssets.generatedCases()) if (c.text() != null) texts.add(c.text());
        texts.addAll(Arrays.asList(TokenizerConformanceTest.CONTROL_TEXTS));
        return texts;
    }

    @Test
    void ggufMatchesFixtures() {
        Tokenizer g = TokenizerAssets.ggufTokenizer();
        assertEquals(2, g.bosId());
        assertEquals(1, g.eosId());
        assertEquals(0, g.padId());
        assertEquals(3, g.unkId());
        assertEquals(105, g.idOf("<start_of_turn>"));
        assertEquals(106, g.idOf("<end_of_turn>"));
        assertTrue(g.isControl(106));
        TokenizerConformanceTest.checkCases(g, inVocabulary(g, TokenizerAssets.publicCases()), "public cases (GGUF)");
        TokenizerConformanceTest.checkCases(g, inVocabulary(g, TokenizerAssets.generatedCases()), "generated cases (GGUF)");
    }

    /** Cases whose ids all exist in t (the 270M GGUF has no <image_soft_token>, id 262144). */
    static List<Case> inVocabulary(Tokenizer t, List<Case> cases) {
        List<Case> r = cases.stream().filter(c -> Arrays.stream(c.ids()).allMatch(id -> id < t.vocabularySize())).toList();
        System.out.printf("[tokenizer tests] %d of %d cases use ids beyond the GGUF vocabulary, not checked%n", cases.size() - r.size(), cases.size());
        return r;
    }

    @Test
    void ggufAndJsonAgree() {
        Tokenizer g = TokenizerAssets.ggufTokenizer();
        Tokenizer j = TokenizerAssets.jsonTokenizer();
        Mismatches pieces = new Mismatches("GGUF vs tokenizer.json: piece texts");
        for (int id = 0; id < g.vocabularySize(); id++) pieces.check(g.tokenText(id).equals(j.tokenText(id)), id + ": " + show(g.tokenText(id)) + " vs " + show(j.tokenText(id)));
        pieces.assertNone();
        // ids whose special flag differs between the two sources (GGUF token_type vs tokenizer.json "special")
        List<Integer> differing = new ArrayList<>();
        for (int id = 0; id < g.vocabularySize(); id++) if (g.isControl(id) != j.isControl(id)) differing.add(id);
        System.out.printf("[tokenizer tests] %d ids are control in one source only, e.g. %s%n", differing.size(),
                differing.stream().limit(6).map(id -> id + " " + g.tokenText(id)).toList());

        Mismatches special = new Mismatches("GGUF vs tokenizer.json: encodeWithSpecial");
        Mismatches plain = new Mismatches("GGUF vs tokenizer.json: encode (texts without tokens whose special flag differs)");
        Mismatches dec = new Mismatches("GGUF vs tokenizer.json: decode");
        int skipped = 0;
        for (String s : allTexts()) {
            int[] jIds = j.encodeWithSpecial(s);
            if (Arrays.stream(jIds).anyMatch(id -> id >= g.vocabularySize())) {
                skipped++; // <image_soft_token> is not in the 270M GGUF vocabulary
                continue;
            }
            int[] gIds = g.encodeWithSpecial(s);
            special.check(Arrays.equals(gIds, jIds), show(s) + "\n  json " + Arrays.toString(jIds) + "\n  gguf " + Arrays.toString(gIds));
            if (Arrays.stream(jIds).noneMatch(id -> g.isControl(id) != j.isControl(id))) {
                int[] gp = g.encode(s), jp = j.encode(s);
                plain.check(Arrays.equals(gp, jp), show(s) + "\n  json " + Arrays.toString(jp) + "\n  gguf " + Arrays.toString(gp));
            }
            dec.check(g.decode(jIds).equals(j.decode(jIds)), Arrays.toString(jIds));
        }
        System.out.printf("[tokenizer tests] %d texts skipped (ids beyond the GGUF vocabulary)%n", skipped);
        special.assertNone();
        plain.assertNone();
        dec.assertNone();
    }

    @Test
    void derivedMergeRanksEqualTheTokenizerJsonList() {
        PairTable gm = TokenizerAssets.ggufTokenizer().merges(), jm = TokenizerAssets.jsonTokenizer().merges();
        assertEquals(jm.size(), gm.size(), "number of merges");
        Mismatches m = new Mismatches("GGUF-derived merge (rank, merged id) == tokenizer.json merge list");
        jm.forEach((l, r, rank, merged) -> {
            long v = gm.get(l, r);
            m.check(v == (((long) rank << 32) | merged), l + " " + r + ": json rank " + rank + " -> " + merged
                    + ", gguf " + (v < 0 ? "none" : (v >>> 32) + " -> " + (int) v));
        });
        m.assertNone();
    }

    @Test
    void plainEncodeNeverYieldsControlIds() {
        TokenizerConformanceTest.checkPlainEncodeHasNoControl(TokenizerAssets.ggufTokenizer(), "GGUF");
    }

    /**
     * Diagnostic, not a requirement: how often llama.cpp-style merging by raw GGUF score (ties leftmost)
     * differs from the rank order of the tokenizer.json merges.
     */
    @Test
    void scoreMergingDiagnostic() throws Exception {
        Tokenizer g = TokenizerAssets.ggufTokenizer();
        for (GgufTokenizerLoader.MergeOrder order : new GgufTokenizerLoader.MergeOrder[]{
                GgufTokenizerLoader.MergeOrder.GGUF_SCORES, GgufTokenizerLoader.MergeOrder.EFFECTIVE_SCORES}) {
            Tokenizer other;
            try (GGUFFile f = GGUFFile.open(TokenizerAssets.ggufPath())) {
                other = GgufTokenizerLoader.load(f.metadata(), order);
            }
            compareMergeOrders(g, other, order.toString());
        }
    }

    static void compareMergeOrders(Tokenizer g, Tokenizer raw, String name) {
        int total = 0, differ = 0;
        List<String> examples = new ArrayList<>();
        for (String s : allTexts()) {
            total++;
            int[] a = g.encodeWithSpecial(s), b = raw.encodeWithSpecial(s);
            if (!Arrays.equals(a, b)) {
                differ++;
                int at = Arrays.mismatch(a, b), from = Math.max(0, at - 2);
                if (examples.size() < 3) examples.add(show(s) + " from token " + from + ": ranks "
                        + Arrays.toString(Arrays.copyOfRange(a, from, Math.min(a.length, at + 4)))
                        + " " + name + " " + Arrays.toString(Arrays.copyOfRange(b, from, Math.min(b.length, at + 4))));
            }
        }
        System.out.printf("[tokenizer tests] %s merging differs from rank merging on %d of %d texts%n", name, differ, total);
        examples.forEach(e -> System.out.println("[tokenizer tests]   " + e));
    }
}
