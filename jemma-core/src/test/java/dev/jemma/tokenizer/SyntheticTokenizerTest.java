package dev.jemma.tokenizer;

import dev.jemma.gguf.GGUFMetadata;
import dev.jemma.gguf.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tokenizer behaviour on small hand-made vocabularies; needs no downloaded asset. */
class SyntheticTokenizerTest {

    @TempDir
    Path tmp;

    /** A SentencePiece-like GGUF vocabulary: controls, user-defined, 256 byte tokens, then scored pieces. */
    static final class Vocab {
        final List<String> tokens = new ArrayList<>();
        final List<Float> scores = new ArrayList<>();
        final List<Integer> types = new ArrayList<>();

        int add(String t, float score, int type) {
            tokens.add(t);
            scores.add(score);
            types.add(type);
            return tokens.size() - 1;
        }

        TinyGguf gguf() {
            float[] s = new float[scores.size()];
            int[] ty = new int[types.size()];
            for (int i = 0; i < s.length; i++) {
                s[i] = scores.get(i);
                ty[i] = types.get(i);
            }
            return new TinyGguf().string("general.architecture", "gemma3")
                    .string("tokenizer.ggml.model", "llama")
                    .strings("tokenizer.ggml.tokens", tokens.toArray(String[]::new))
                    .floats("tokenizer.ggml.scores", s)
                    .ints("tokenizer.ggml.token_type", ty)
                    .u32("tokenizer.ggml.bos_token_id", 2).u32("tokenizer.ggml.eos_token_id", 1)
                    .u32("tokenizer.ggml.unknown_token_id", 3).u32("tokenizer.ggml.padding_token_id", 0);
        }
    }

    static final String[] NORMAL_PIECES = {"▁", "a", "b", "c", "h", "e", "l", "o", "é", "😀", "<", ">", "s", "t",
            "ab", "bc", "abc", "▁a", "he", "ll", "llo", "hello", "▁hello"};
    static final int BYTE0 = 11;

    static Vocab syntheticVocab() {
        Vocab v = new Vocab();
        v.add("<pad>", -1000, 3);
        v.add("<eos>", -1000, 3);
        v.add("<bos>", -1000, 3);
        v.add("<unk>", -1000, 2);
        v.add("<start_of_turn>", -1000, 3);
        v.add("<end_of_turn>", -1000, 3);
        v.add("\n", -1000, 4);
        v.add("\n\n", -1000, 4);
        v.add("  ", -1000, 4);          // the converter writes the "▁▁" piece with spaces
        v.add("<b>", -1000, 4);
        v.add("<unused0>", -1000, 3);
        for (int b = 0; b < 256; b++) v.add(String.format("<0x%02X>", b), 0, 6);
        for (int i = 0; i < NORMAL_PIECES.length; i++) v.add(NORMAL_PIECES[i], -i, 1);
        return v;
    }

    Tokenizer synthetic() {
        return Tokenizer.fromGGUF(syntheticVocab().gguf().metadata(tmp));
    }

    static int[] ids(Tokenizer t, String... pieces) {
        int[] r = new int[pieces.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = t.idOf(pieces[i]);
            assertTrue(r[i] >= 0, "piece " + pieces[i]);
        }
        return r;
    }

    static int byteId(int b) {
        return BYTE0 + b;
    }

    @Test
    void specialIdsAndVocabulary() {
        Tokenizer t = synthetic();
        assertEquals(2, t.bosId());
        assertEquals(1, t.eosId());
        assertEquals(0, t.padId());
        assertEquals(3, t.unkId());
        assertEquals(11 + 256 + NORMAL_PIECES.length, t.vocabularySize());
        assertEquals(4, t.idOf("<start_of_turn>"));
        assertEquals(-1, t.idOf("nope"));
        assertEquals("▁▁", t.tokenText(8), "user-defined pieces get their ▁ back");
        assertEquals(8, t.idOf("▁▁"));
        assertTrue(t.isControl(4));
        assertTrue(t.isControl(3));
        assertFalse(t.isControl(6));
        assertFalse(t.isControl(t.idOf("a")));
        assertEquals("<0x41>", t.tokenText(byteId(0x41)));
        assertThrows(IllegalArgumentException.class, () -> t.tokenText(t.vocabularySize()));
        assertThrows(IllegalArgumentException.class, () -> t.decode(new int[]{-1}));
    }

    @Test
    void bpeMergesByPriority() {
        Tokenizer t = synthetic();
        assertArrayEquals(ids(t, "abc"), t.encode("abc"));
        // ab outranks bc: b,c,a,b → b,c,ab → bc,ab
        assertArrayEquals(ids(t, "bc", "ab"), t.encode("bcab"));
        assertArrayEquals(ids(t, "▁hello"), t.encode(" hello"));
        assertArrayEquals(ids(t, "hello", "▁hello"), t.encode("hello hello"));
        assertArrayEquals(ids(t, "a", "▁▁", "b"), t.encode("a  b"), "space runs merge to the user-defined piece");
        assertArrayEquals(ids(t, "▁▁", "a"), t.encode("▁▁a"), "a literal ▁▁ is the added token");
        assertArrayEquals(new int[0], t.encode(""));
    }

    @Test
    void byteFallback() {
        Tokenizer t = synthetic();
        assertArrayEquals(ids(t, "é"), t.encode("é"));
        assertArrayEquals(new int[]{byteId(0xC3), byteId(0xB1)}, t.encode("ñ"));
        assertArrayEquals(ids(t, "😀"), t.encode("😀"));
        assertArrayEquals(new int[]{byteId(0xF0), byteId(0x9F), byteId(0x99), byteId(0x82)}, t.encode("🙂"));
        assertArrayEquals(new int[]{byteId(0x0D)}, t.encode("\r"));
        // an unpaired surrogate is encoded as U+FFFD
        assertArrayEquals(new int[]{byteId(0xEF), byteId(0xBF), byteId(0xBD)}, t.encode("\uD800"));
        assertEquals("a\u00a0b🙂", t.decode(t.encode("a\u00a0b🙂")));
    }

    @Test
    void addedTokensLongestFirst() {
        Tokenizer t = synthetic();
        assertArrayEquals(new int[]{7, 6}, t.encode("\n\n\n"));
        assertArrayEquals(new int[]{7, 7}, t.encode("\n\n\n\n"));
        int[] e = t.encode("a\n\nb<b>c");
        assertArrayEquals(new int[]{t.idOf("a"), 7, t.idOf("b"), 9, t.idOf("c")}, e);
    }

    @Test
    void specialTokensOnlyWithEncodeWithSpecial() {
        Tokenizer t = synthetic();
        String s = "<start_of_turn>hello\n<end_of_turn><unused0><b>";
        assertArrayEquals(new int[]{4, t.idOf("hello"), 6, 5, 10, 9}, t.encodeWithSpecial(s));
        int[] plain = t.encode(s);
        for (int id : plain) assertFalse(t.isControl(id), "control id " + id + " from plain text");
        assertEquals(s, t.decode(plain));
        assertEquals(s, t.decode(t.encodeWithSpecial(s)));
        assertArrayEquals(new int[]{2}, t.encodeWithSpecial("<bos>"));
        assertEquals("<bos>", t.decode(new int[]{2}));
    }

    @Test
    void decodeByteRunsLikeHuggingFace() {
        Tokenizer t = synthetic();
        int[] emoji = {byteId(0xF0), byteId(0x9F), byteId(0x98), byteId(0x80)};
        assertEquals("😀", t.decode(emoji));
        int[] broken = Arrays.copyOf(emoji, 5);
        broken[4] = byteId(0xFF);
        assertEquals("\uFFFD".repeat(5), t.decode(broken), "an invalid run becomes one U+FFFD per byte");
        assertEquals("\uFFFD\uFFFD", t.decode(new int[]{byteId(0x41), byteId(0xC3)}));
        assertEquals("\uFFFD\uFFFDhelloA", t.decode(new int[]{byteId(0xE2), byteId(0x82), t.idOf("hello"), byteId(0x41)}));
        assertEquals("\uFFFD\uFFFD\uFFFD", t.decode(new int[]{byteId(0xED), byteId(0xA0), byteId(0x80)}), "surrogate");
        assertEquals("\uFFFD\uFFFD", t.decode(new int[]{byteId(0xC0), byteId(0x80)}), "overlong");
        assertEquals(" a  ", t.decode(ids(t, "▁a", "▁▁")));
    }

    @Test
    void streamingDecoderNeverSplitsCharacters() {
        Tokenizer t = synthetic();
        int[][] streams = {
                {byteId(0xF0), byteId(0x9F), byteId(0x98), byteId(0x80), t.idOf("a"), byteId(0xC3), byteId(0xA9)},
                {byteId(0xF0), byteId(0x9F), byteId(0x98), byteId(0x80), byteId(0xFF), t.idOf("▁hello")},
                {t.idOf("hello"), byteId(0xE2), byteId(0x82), byteId(0xAC), 5, byteId(0xC3)},
                {4, t.idOf("▁a"), 8, 6},
        };
        for (int[] ids : streams) {
            StreamingDecoder d = t.streamingDecoder();
            StringBuilder sb = new StringBuilder();
            for (int id : ids) {
                String piece = d.append(id);
                assertWellFormed(piece);
                sb.append(piece);
            }
            String rest = d.flush();
            assertWellFormed(rest);
            sb.append(rest);
            assertEquals(t.decode(ids), sb.toString(), Arrays.toString(ids));
            assertEquals("", d.flush());
        }
        StreamingDecoder d = t.streamingDecoder();
        assertEquals("", d.append(byteId(0xF0)));
        assertEquals("", d.append(byteId(0x9F)));
        assertEquals("", d.append(byteId(0x98)));
        assertEquals("", d.append(byteId(0x80)));
        assertTrue(d.hasPending());
        assertEquals("😀a", d.append(t.idOf("a")));
        assertEquals("b", d.append(t.idOf("b")));
    }

    static void assertWellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                assertTrue(i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1)), "split surrogate pair");
                i++;
            } else {
                assertFalse(Character.isLowSurrogate(c), "lone low surrogate");
            }
        }
    }

    @Test
    @Timeout(20)
    void longWordIsNotQuadratic() {
        Tokenizer t = synthetic();
        String s = "ab c ".repeat(40_000) + "x".repeat(100_000);  // one 300k-char BPE word
        int[] ids = t.encode(s);
        assertEquals(s, t.decode(ids));
        String runs = "abcabc".repeat(50_000);
        assertEquals(100_000, t.encode(runs).length);
    }

    @Test
    void threadSafe() throws Exception {
        Tokenizer t = synthetic();
        String s = "hello abc\n\n😀🙂 ñ<start_of_turn>";
        int[] expected = t.encodeWithSpecial(s);
        List<Thread> threads = new ArrayList<>();
        List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int k = 0; k < 4; k++) {
            Thread th = new Thread(() -> {
                try {
                    for (int i = 0; i < 2000; i++) {
                        if (!Arrays.equals(expected, t.encodeWithSpecial(s))) throw new AssertionError("mismatch");
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) th.join();
        assertTrue(errors.isEmpty(), errors.toString());
    }

    // ------------------------------------------------------------------------ GGUF validation

    TokenizerFormatException bad(Consumer<TinyGguf> mutate, String key) {
        TinyGguf g = syntheticVocab().gguf();
        mutate.accept(g);
        GGUFMetadata md = g.metadata(tmp);
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> Tokenizer.fromGGUF(md));
        assertInstanceOf(ModelFormatException.class, e);
        assertTrue(e.getMessage().contains(key), "message should name " + key + ": " + e.getMessage());
        return e;
    }

    @Test
    void rejectsInconsistentArrays() {
        bad(g -> g.floats("tokenizer.ggml.scores", 0f, 1f), "tokenizer.ggml.scores");
        bad(g -> g.ints("tokenizer.ggml.token_type", 1, 1, 1), "tokenizer.ggml.token_type");
        bad(g -> g.ints("tokenizer.ggml.scores", new int[11 + 256 + NORMAL_PIECES.length]), "tokenizer.ggml.scores");
        bad(g -> g.strings("tokenizer.ggml.tokens"), "tokenizer.ggml.tokens");
        bad(g -> g.remove("tokenizer.ggml.scores"), "tokenizer.ggml.scores");
        bad(g -> g.remove("tokenizer.ggml.token_type"), "tokenizer.ggml.token_type");
        bad(g -> g.remove("tokenizer.ggml.tokens"), "tokenizer.ggml.tokens");
        bad(g -> g.remove("tokenizer.ggml.model"), "tokenizer.ggml.model");
        bad(g -> g.string("tokenizer.ggml.model", "gpt2"), "tokenizer.ggml.model");
        bad(g -> g.string("tokenizer.ggml.tokens", "x"), "tokenizer.ggml.tokens");
    }

    @Test
    void rejectsSpecialIdsOutsideVocabulary() {
        int n = 11 + 256 + NORMAL_PIECES.length;
        for (String key : new String[]{"tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
                "tokenizer.ggml.padding_token_id", "tokenizer.ggml.unknown_token_id"}) {
            bad(g -> g.u32(key, n), key);
            bad(g -> g.i32(key, -1), key);
            bad(g -> g.u32(key, 0xFFFFFFFFL), key);
        }
    }

    @Test
    void rejectsMalformedByteTokens() {
        for (String text : new String[]{"<0x-1>", "<0xZZ>", "<0x1>", "<0x123>", "0x41", "<0X41>"}) {
            bad(g -> {
                Vocab v = syntheticVocab();
                v.tokens.set(BYTE0 + 0x41, text);
                g.strings("tokenizer.ggml.tokens", v.tokens.toArray(String[]::new));
            }, "tokenizer.ggml.tokens");
        }
        bad(g -> {
            Vocab v = syntheticVocab();
            int[] ty = v.types.stream().mapToInt(Integer::intValue).toArray();
            ty[20] = 9;
            g.ints("tokenizer.ggml.token_type", ty);
        }, "tokenizer.ggml.token_type");
    }

    @Test
    void duplicateTokensFirstIdWins() {
        Vocab v = syntheticVocab();
        int dupA = v.add("a", -50, 1);
        int dupAb = v.add("ab", 5, 1);   // a higher score must not let the later duplicate win
        Tokenizer t = Tokenizer.fromGGUF(v.gguf().metadata(tmp));
        int a = v.tokens.indexOf("a"), ab = v.tokens.indexOf("ab");
        assertTrue(a < dupA && ab < dupAb);
        assertEquals(a, t.idOf("a"));
        assertArrayEquals(new int[]{a}, t.encode("a"));
        assertArrayEquals(new int[]{t.idOf("abc")}, t.encode("abc"));
        assertArrayEquals(new int[]{ab}, t.encode("ab"));
        assertEquals("ab", t.decode(new int[]{dupAb}));
    }

    // ------------------------------------------------------------------------ tokenizer.json

    Path writeJson(String merges, String added) throws Exception {
        StringBuilder vocab = new StringBuilder();
        String[] pieces = {"<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "\\n", "<b>", "<unused0>"};
        int id = 0;
        for (String p : pieces) vocab.append(id == 0 ? "" : ",").append('"').append(p).append("\":").append(id++);
        for (int b = 0; b < 256; b++) vocab.append(",\"").append(String.format("<0x%02X>", b)).append("\":").append(id++);
        for (String p : new String[]{"▁", "a", "b", "c", "ab", "bc", "abc", "▁a", "▁▁"}) {
            vocab.append(",\"").append(p).append("\":").append(id++);
        }
        String json = "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[" + added + "],"
                + "\"normalizer\":{\"type\":\"Replace\",\"pattern\":{\"String\":\" \"},\"content\":\"▁\"},"
                + "\"pre_tokenizer\":{\"type\":\"Split\",\"pattern\":{\"String\":\" \"},\"behavior\":\"MergedWithPrevious\",\"invert\":false},"
                + "\"post_processor\":null,\"decoder\":null,"
                + "\"model\":{\"type\":\"BPE\",\"dropout\":null,\"unk_token\":\"<unk>\",\"continuing_subword_prefix\":null,"
                + "\"end_of_word_suffix\":null,\"fuse_unk\":true,\"byte_fallback\":true,\"ignore_merges\":false,"
                + "\"vocab\":{" + vocab + "},\"merges\":[" + merges + "]}}";
        Path f = Files.createTempFile(tmp, "tok", ".json");
        Files.writeString(f, json, StandardCharsets.UTF_8);
        return f;
    }

    static String addedToken(int id, String content, boolean special) {
        return "{\"id\":" + id + ",\"content\":\"" + content + "\",\"single_word\":false,\"lstrip\":false,"
                + "\"rstrip\":false,\"normalized\":false,\"special\":" + special + "}";
    }

    static final String ADDED = String.join(",", addedToken(0, "<pad>", true), addedToken(1, "<eos>", true),
            addedToken(2, "<bos>", true), addedToken(3, "<unk>", true), addedToken(4, "<start_of_turn>", true),
            addedToken(5, "\\n", false), addedToken(6, "<b>", false), addedToken(7, "<unused0>", false),
            addedToken(273, "<image_soft_token>", true));

    @Test
    void jsonMergesUseListRanks() throws Exception {
        // both merge notations; "b c" ranks before "a b", so abc = a + bc
        Tokenizer t = Tokenizer.fromTokenizerJson(writeJson("\"b c\",[\"a\",\"b\"],\"a bc\",[\"▁\",\"a\"],\"▁ ▁\"", ADDED));
        assertArrayEquals(ids(t, "abc"), t.encode("abc"));
        assertArrayEquals(ids(t, "ab", "▁a"), t.encode("ab a"));
        Tokenizer t2 = Tokenizer.fromTokenizerJson(writeJson("\"b c\",\"a b\"", ADDED));
        assertArrayEquals(ids(t2, "a", "bc"), t2.encode("abc"), "no a+bc merge, and ab cannot form any more");
        Tokenizer t3 = Tokenizer.fromTokenizerJson(writeJson("\"a b\",\"b c\",\"ab c\"", ADDED));
        assertArrayEquals(ids(t3, "abc"), t3.encode("abc"));
        assertEquals(274, t.vocabularySize());
        assertEquals(2, t.bosId());
        assertEquals(3, t.unkId());
    }

    @Test
    void jsonSpecialFlags() throws Exception {
        Tokenizer t = Tokenizer.fromTokenizerJson(writeJson("\"a b\"", ADDED));
        assertArrayEquals(new int[]{4, 7, 6, 5, 273}, t.encodeWithSpecial("<start_of_turn><unused0><b>\n<image_soft_token>"));
        int[] plain = t.encode("<start_of_turn><unused0><b>\n");
        assertEquals(7, plain[plain.length - 3]);
        assertEquals(6, plain[plain.length - 2]);
        assertEquals(5, plain[plain.length - 1]);
        for (int id : plain) assertFalse(t.isControl(id));
        assertTrue(t.isControl(4));
        assertTrue(t.isControl(273));
        assertFalse(t.isControl(7));
        assertEquals("<start_of_turn><unused0><b>\n", t.decode(plain));
    }

    @Test
    void jsonErrorsNameTheField() throws Exception {
        Path p1 = writeJson("\"a zz\"", ADDED);
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> Tokenizer.fromTokenizerJson(p1));
        assertTrue(e.getMessage().contains("model.merges[0]"), e.getMessage());
        Path p2 = writeJson("\"a b c\"", ADDED);
        e = assertThrows(TokenizerFormatException.class, () -> Tokenizer.fromTokenizerJson(p2));
        assertTrue(e.getMessage().contains("model.merges[0]"), e.getMessage());
        Path p3 = writeJson("", ADDED.replace("\"content\":\"<b>\"", "\"content\":\"<i>\""));
        e = assertThrows(TokenizerFormatException.class, () -> Tokenizer.fromTokenizerJson(p3));
        assertTrue(e.getMessage().contains("added_tokens"), e.getMessage());
        Path p4 = Files.writeString(tmp.resolve("broken.json"), "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}");
        assertThrows(TokenizerFormatException.class, () -> Tokenizer.fromTokenizerJson(p4));
        Path p5 = Files.writeString(tmp.resolve("unigram.json"), "{\"model\": {\"type\": \"Unigram\", \"vocab\": [[\"a\", 0.0]]}}");
        e = assertThrows(TokenizerFormatException.class, () -> Tokenizer.fromTokenizerJson(p5));
        assertTrue(e.getMessage().contains("model."), e.getMessage());
        assertThrows(TokenizerFormatException.class, () -> Tokenizer.fromTokenizerJson(tmp.resolve("absent.json")));
    }
}
