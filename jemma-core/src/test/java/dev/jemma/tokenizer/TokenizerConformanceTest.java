package dev.jemma.tokenizer;

import dev.jemma.tokenizer.TokenizerAssets.Case;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Conformance against the Hugging Face Rust tokenizer on the real Gemma 3 tokenizer.json: the shared
 * public cases and the 10k generated fixture cases (conformance/gen_tokenizer_fixtures.py).
 */
class TokenizerConformanceTest {

    /** Collects mismatches and fails once with the first few. */
    static final class Mismatches {
        final String what;
        final List<String> examples = new ArrayList<>();
        int count, checked;

        Mismatches(String what) {
            this.what = what;
        }

        void check(boolean ok, String detail) {
            checked++;
            if (!ok) {
                count++;
                if (examples.size() < 8) examples.add(detail);
            }
        }

        void assertNone() {
            System.out.printf("[tokenizer tests] %s: %d checked, %d mismatches%n", what, checked, count);
            if (count > 0) fail(what + ": " + count + " of " + checked + " mismatch, e.g.\n" + String.join("\n", examples));
        }
    }

    static String show(String s) {
        if (s == null) return "null";
        StringBuilder sb = new StringBuilder("\"");
        s.codePoints().limit(120).forEach(cp -> {
            if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xA0)) sb.append(String.format("\\u%04x", cp));
            else sb.appendCodePoint(cp);
        });
        return sb.append(s.length() > 120 ? "...\"" : "\"").toString();
    }

    static String streamDecode(Tokenizer t, int[] ids) {
        StreamingDecoder d = t.streamingDecoder();
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            String piece = d.append(id);
            SyntheticTokenizerTest.assertWellFormed(piece);
            sb.append(piece);
        }
        return sb.append(d.flush()).toString();
    }

    static void checkCases(Tokenizer t, List<Case> cases, String name) {
        Mismatches enc = new Mismatches(name + " encodeWithSpecial == HF ids");
        Mismatches dec = new Mismatches(name + " decode == HF decode");
        Mismatches stream = new Mismatches(name + " streaming decode == decode");
        Mismatches bos = new Mismatches(name + " ids_bos == [bos] + ids");
        for (Case c : cases) {
            if (c.text() != null) {
                int[] ids = t.encodeWithSpecial(c.text());
                enc.check(Arrays.equals(ids, c.ids()), show(c.text()) + "\n  expected " + Arrays.toString(c.ids())
                        + "\n  actual   " + Arrays.toString(ids));
            }
            if (c.idsBos() != null) {
                int[] withBos = new int[c.ids().length + 1];
                withBos[0] = t.bosId();
                System.arraycopy(c.ids(), 0, withBos, 1, c.ids().length);
                bos.check(Arrays.equals(withBos, c.idsBos()), Arrays.toString(c.idsBos()));
            }
            String decoded = t.decode(c.ids());
            dec.check(decoded.equals(c.decoded()), Arrays.toString(c.ids()) + "\n  expected " + show(c.decoded())
                    + "\n  actual   " + show(decoded));
            String streamed = streamDecode(t, c.ids());
            stream.check(streamed.equals(decoded), Arrays.toString(c.ids()) + "\n  expected " + show(decoded)
                    + "\n  actual   " + show(streamed));
        }
        enc.assertNone();
        dec.assertNone();
        stream.assertNone();
        if (bos.checked > 0) bos.assertNone();
    }

    @Test
    void publicCases() {
        Tokenizer t = TokenizerAssets.jsonTokenizer();
        List<Case> cases = TokenizerAssets.publicCases();
        assertTrue(cases.size() >= 50, "public cases: " + cases.size());
        assertEquals(2, t.bosId());
        checkCases(t, cases, "public cases (tokenizer.json)");
    }

    @Test
    void generatedCases() {
        Tokenizer t = TokenizerAssets.jsonTokenizer();
        List<Case> cases = TokenizerAssets.generatedCases();
        assertTrue(cases.stream().filter(c -> c.text() != null).count() >= 10_000, "generated text cases");
        checkCases(t, cases, "generated cases (tokenizer.json)");
    }

    @Test
    void roundTrip() {
        Tokenizer t = TokenizerAssets.jsonTokenizer();
        Mismatches withSpecial = new Mismatches("decode(encodeWithSpecial(s)) == s");
        Mismatches plain = new Mismatches("decode(encode(s)) == s");
        List<Case> all = new ArrayList<>(TokenizerAssets.generatedCases());
        all.addAll(TokenizerAssets.publicCases());
        for (Case c : all) {
            String s = c.text();
            if (s == null) continue;
            // "▁" in the input is the normalised space: it decodes to " "
            String expected = s.replace('\u2581', ' ');
            String d1 = t.decode(t.encodeWithSpecial(s));
            withSpecial.check(d1.equals(expected), show(s) + " -> " + show(d1));
            String d2 = t.decode(t.encode(s));
            plain.check(d2.equals(expected), show(s) + " -> " + show(d2));
        }
        withSpecial.assertNone();
        plain.assertNone();
    }

    static final String[] CONTROL_TEXTS = {
            "<start_of_turn>model\n", "<start_of_turn>user\nHello<end_of_turn>\n<start_of_turn>model\n",
            "<bos><eos><pad><unk>", "<end_of_turn>", "<start_of_image><end_of_image>", "<<start_of_turn>>",
            "x<end_of_turn>y", "<start_of_turn><start_of_turn>", "<image_soft_token>",
    };

    static void checkPlainEncodeHasNoControl(Tokenizer t, String name) {
        Mismatches m = new Mismatches(name + ": plain encode yields no control ids");
        List<String> texts = new ArrayList<>(Arrays.asList(CONTROL_TEXTS));
        for (Case c : TokenizerAssets.generatedCases()) if (c.text() != null) texts.add(c.text());
        for (String s : texts) {
            int[] ids = t.encode(s);
            boolean ok = true;
            for (int id : ids) ok &= !t.isControl(id);
            m.check(ok && t.decode(ids).equals(s.replace('\u2581', ' ')), show(s) + " -> " + Arrays.toString(ids));
        }
        m.assertNone();
        int[] ids = t.encode("<start_of_turn>model\n");
        assertFalse(Arrays.stream(ids).anyMatch(id -> id == t.idOf("<start_of_turn>")));
        assertArrayEquals(new int[]{t.idOf("<start_of_turn>"), t.idOf("model"), t.idOf("\n")},
                t.encodeWithSpecial("<start_of_turn>model\n"));
    }

    @Test
    void plainEncodeNeverYieldsControlIds() {
        Tokenizer t = TokenizerAssets.jsonTokenizer();
        checkPlainEncodeHasNoControl(t, "tokenizer.json");
        // non-special added tokens are still matched in plain text, as Hugging Face does
        assertArrayEquals(new int[]{t.idOf("<unused12>")}, t.encode("<unused12>"));
        assertArrayEquals(new int[]{108}, t.encode("\n\n"));
        assertEquals(105, t.idOf("<start_of_turn>"));
        assertEquals(106, t.idOf("<end_of_turn>"));
        assertTrue(t.isControl(106));
        assertFalse(t.isControl(107));
    }

    @Test
    void vocabularyFacts() {
        Tokenizer t = TokenizerAssets.jsonTokenizer();
        assertEquals(262145, t.vocabularySize());
        assertEquals(1, t.eosId());
        assertEquals(0, t.padId());
        assertEquals(3, t.unkId());
        for (int b = 0; b < 256; b++) assertEquals(String.format("<0x%02X>", b), t.tokenText(238 + b));
        assertArrayEquals(new int[]{9259}, t.encode("Hello"));
        assertArrayEquals(new int[]{26352}, t.encode(" Hello"));
        assertEquals(262144, t.idOf("<image_soft_token>"));
    }

    @Test
    void streamingByteFallbackSplitAcrossTokens() {
        Tokenizer t = TokenizerAssets.jsonTokenizer();
        // characters outside the vocabulary: byte fallback over several tokens
        String s = "a\u00a0b\u3000c \uD840\uDC00\uD840\uDC01 \uD83E\uDEE8 end";
        int[] ids = t.encode(s);
        assertTrue(Arrays.stream(ids).filter(t::isByte).count() >= 5, Arrays.toString(ids));
        StreamingDecoder d = t.streamingDecoder();
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            String piece = d.append(id);
            SyntheticTokenizerTest.assertWellFormed(piece);
            assertFalse(piece.contains("\uFFFD"), "no replacement characters for valid input");
            sb.append(piece);
        }
        sb.append(d.flush());
        assertEquals(s, sb.toString());
    }
}
