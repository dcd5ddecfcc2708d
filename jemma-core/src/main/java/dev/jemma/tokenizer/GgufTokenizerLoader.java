package dev.jemma.tokenizer;

import dev.jemma.Trace;
import dev.jemma.gguf.GGUFMetadata;
import dev.jemma.gguf.GGUFValueType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the tokenizer from GGUF {@code tokenizer.ggml.*} metadata written by llama.cpp's converter for a
 * SentencePiece model ({@code tokenizer.ggml.model = "llama"}): pieces, scores and token types, no merges.
 *
 * <p>Token types: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte (0 is read as normal).
 * Control and unknown tokens are special (recognised only by {@link Tokenizer#encodeWithSpecial});
 * user-defined tokens are recognised in all text, like non-special added tokens.
 *
 * <p>Merges. SentencePiece BPE merges, at each step, the adjacent pair whose concatenation is a piece
 * with the highest score. The merge list of the Hugging Face {@code tokenizer.json} is derived from the
 * same model: every pair (a, b) with a, b and a+b pieces, ordered by the score of a+b (highest first),
 * then by the length of a, then of b (longest first, in code points), then by the id of a+b. The
 * llama.cpp converter, however, writes score −1000 for user-defined pieces, which SentencePiece scores 0
 * (so their merges, e.g. runs of "▁", come first). {@link MergeOrder#DERIVED_RANKS} rebuilds that exact
 * ordered list from the GGUF data (user-defined pieces scored 0) and then encodes with ranks, which makes
 * the ids identical to the tokenizer.json ones. {@link MergeOrder#GGUF_SCORES} (tests only) merges by the
 * raw GGUF score, ties leftmost, as llama.cpp does.
 *
 * <p>The converter also writes user-defined pieces with "▁" replaced by " " (e.g. "▁▁" as two spaces);
 * that is undone here, so pieces are the SentencePiece (and tokenizer.json) ones.
 *
 * <p>Duplicate piece texts are allowed: the first id is used for encoding and lookup, and a warning is
 * logged.
 */
final class GgufTokenizerLoader {
    static final String KEY_MODEL = "tokenizer.ggml.model";
    static final String KEY_TOKENS = "tokenizer.ggml.tokens";
    static final String KEY_SCORES = "tokenizer.ggml.scores";
    static final String KEY_TYPES = "tokenizer.ggml.token_type";
    static final String KEY_BOS = "tokenizer.ggml.bos_token_id";
    static final String KEY_EOS = "tokenizer.ggml.eos_token_id";
    static final String KEY_PAD = "tokenizer.ggml.padding_token_id";
    static final String KEY_UNK = "tokenizer.ggml.unknown_token_id";

    static final int TYPE_UNDEFINED = 0, TYPE_NORMAL = 1, TYPE_UNKNOWN = 2, TYPE_CONTROL = 3,
            TYPE_USER_DEFINED = 4, TYPE_UNUSED = 5, TYPE_BYTE = 6;

    /**
     * Longer pieces are never the result of a merge (bounds the O(length²) split search on hostile files;
     * SentencePiece limits pieces to 16 characters by default, Gemma 3's longest is 31).
     */
    static final int MAX_MERGED_PIECE_CHARS = 256;

    private static final System.Logger LOG = System.getLogger("dev.jemma.tokenizer");

    enum MergeOrder {
        /** Ranks rebuilt from scores exactly as the tokenizer.json merge list orders them (default). */
        DERIVED_RANKS,
        /** Raw GGUF score of the merged piece, ties leftmost (llama.cpp); for comparison in tests. */
        GGUF_SCORES,
        /** Score of the merged piece with user-defined pieces scored 0, ties leftmost; for comparison in tests. */
        EFFECTIVE_SCORES
    }

    private GgufTokenizerLoader() {
    }

    static Tokenizer load(GGUFMetadata md, MergeOrder order) {
        String model = requireString(md, KEY_MODEL);
        if (!model.equals("llama")) {
            throw new TokenizerFormatException("metadata key '" + KEY_MODEL + "' is '" + model
                    + "'; only 'llama' (SentencePiece) tokenizers are supported");
        }
        String[] tokens = GgufTokenizerLoader.<String[]>requireArray(md, KEY_TOKENS, GGUFValueType.STRING, "an array of strings").clone();
        int n = tokens.length;
        if (n == 0) throw new TokenizerFormatException("metadata key '" + KEY_TOKENS + "' is empty: the vocabulary has no tokens");
        float[] scores = requireArray(md, KEY_SCORES, GGUFValueType.FLOAT32, "an array of FLOAT32");
        int[] types = requireIntArray(md, KEY_TYPES);
        if (scores.length != n) {
            throw new TokenizerFormatException("metadata key '" + KEY_SCORES + "' has " + scores.length
                    + " entries but '" + KEY_TOKENS + "' has " + n);
        }
        if (types.length != n) {
            throw new TokenizerFormatException("metadata key '" + KEY_TYPES + "' has " + types.length
                    + " entries but '" + KEY_TOKENS + "' has " + n);
        }
        byte[] kinds = new byte[n];
        for (int id = 0; id < n; id++) {
            String t = tokens[id];
            if (t == null) throw new TokenizerFormatException("metadata key '" + KEY_TOKENS + "': token " + id + " is null");
            if (Float.isNaN(scores[id])) throw new TokenizerFormatException("metadata key '" + KEY_SCORES + "': score of token " + id + " is NaN");
            switch (types[id]) {
                case TYPE_UNDEFINED, TYPE_NORMAL -> kinds[id] = Tokenizer.NORMAL;
                case TYPE_UNKNOWN, TYPE_CONTROL -> kinds[id] = Tokenizer.SPECIAL;
                case TYPE_USER_DEFINED -> {
                    kinds[id] = Tokenizer.ADDED;
                    tokens[id] = t.replace(' ', '\u2581'); // undo the converter's "▁" → " "
                }
                case TYPE_UNUSED -> kinds[id] = Tokenizer.UNUSED;
                case TYPE_BYTE -> {
                    if (Tokenizer.parseByteToken(t) < 0) {
                        throw new TokenizerFormatException("metadata key '" + KEY_TOKENS + "': token " + id
                                + " has type BYTE but its text '" + t + "' is not of the form <0xHH>");
                    }
                    kinds[id] = Tokenizer.BYTE;
                }
                default -> throw new TokenizerFormatException("metadata key '" + KEY_TYPES + "': token " + id
                        + " has unknown type " + types[id] + " (expected 0..6)");
            }
        }
        int bos = specialId(md, KEY_BOS, n), eos = specialId(md, KEY_EOS, n),
                pad = specialId(md, KEY_PAD, n), unk = specialId(md, KEY_UNK, n);

        Map<String, Integer> pieceToId = new HashMap<>(n * 2);
        List<Integer> duplicates = new ArrayList<>();
        for (int id = 0; id < n; id++) {
            if (pieceToId.putIfAbsent(tokens[id], id) != null) duplicates.add(id);
        }
        if (!duplicates.isEmpty()) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < Math.min(5, duplicates.size()); i++) {
                int id = duplicates.get(i);
                sb.append(i == 0 ? "" : ", ").append(id).append(" '").append(tokens[id]).append("' (first id ")
                        .append(pieceToId.get(tokens[id])).append(')');
            }
            LOG.log(System.Logger.Level.WARNING, "GGUF key '" + KEY_TOKENS + "' has " + duplicates.size()
                    + " duplicate token texts; the first id wins for encoding: " + sb
                    + (duplicates.size() > 5 ? ", ..." : ""));
        }
        Trace.mark("tokenizer: pieces indexed");
        PairTable table = deriveMerges(tokens, scores, kinds, types, pieceToId, order);
        Trace.mark("tokenizer: merges derived");
        return new Tokenizer(tokens, kinds, pieceToId, table, bos, eos, pad, unk, false, false);
    }

    /**
     * All pairs (a, b) of pieces whose concatenation is a normal or user-defined piece, ranked as described
     * in the class comment.
     */
    static PairTable deriveMerges(String[] tokens, float[] scores, byte[] kinds, int[] types,
                                 Map<String, Integer> pieceToId, MergeOrder order) {
        int n = tokens.length;
        int cap = 1 << 16, count = 0;
        int[] left = new int[cap], right = new int[cap], merged = new int[cap];
        short[] lenLeft = new short[cap], lenRight = new short[cap];
        for (int id = 0; id < n; id++) {
            if (kinds[id] != Tokenizer.NORMAL && kinds[id] != Tokenizer.ADDED) continue;
            String t = tokens[id];
            if (t.length() < 2 || t.length() > MAX_MERGED_PIECE_CHARS || pieceToId.get(t) != id) continue;
            int leftLen = 0;
            for (int k = 0; k < t.length(); ) {
                k += Character.charCount(t.codePointAt(k));
                leftLen++;
                if (k >= t.length()) break;
                Integer a = pieceToId.get(t.substring(0, k));
                if (a == null) continue;
                Integer b = pieceToId.get(t.substring(k));
                if (b == null) continue;
                if (count == cap) {
                    cap *= 2;
                    left = Arrays.copyOf(left, cap);
                    right = Arrays.copyOf(right, cap);
                    merged = Arrays.copyOf(merged, cap);
                    lenLeft = Arrays.copyOf(lenLeft, cap);
                    lenRight = Arrays.copyOf(lenRight, cap);
                }
                left[count] = a;
                right[count] = b;
                merged[count] = id;
                lenLeft[count] = (short) Math.min(leftLen, Short.MAX_VALUE);
                lenRight[count] = (short) Math.min(t.codePointCount(k, t.length()), Short.MAX_VALUE);
                count++;
            }
        }
        PairTable table = new PairTable(count);
        float[] effective = new float[n];
        // user-defined pieces score 0 as in SentencePiece; "+ 0f" turns -0.0 into 0.0 (they compare equal,
        // as in the Python that wrote the merge list: Gemma's first normal piece "▁t" has score -0.0)
        for (int id = 0; id < n; id++) effective[id] = types[id] == TYPE_USER_DEFINED ? 0f : scores[id] + 0f;
        if (order != MergeOrder.DERIVED_RANKS) {
            // rank = position of the merged piece's score among all distinct scores, highest first
            float[] s = order == MergeOrder.GGUF_SCORES ? scores.clone() : effective;
            for (int i = 0; i < s.length; i++) s[i] += 0f;
            float[] distinct = s.clone();
            Arrays.sort(distinct);
            for (int i = 0; i < count; i++) {
                int pos = Arrays.binarySearch(distinct, s[merged[i]]);
                while (pos + 1 < distinct.length && distinct[pos + 1] == distinct[pos]) pos++;
                table.put(left[i], right[i], distinct.length - 1 - pos, merged[i]);
            }
            return table;
        }
        Integer[] idx = new Integer[count];
        for (int i = 0; i < count; i++) idx[i] = i;
        final int[] l = left, r = right, m = merged;
        final short[] ll = lenLeft, lr = lenRight;
        Arrays.sort(idx, (x, y) -> {
            int c = Float.compare(effective[m[y]], effective[m[x]]);
            if (c != 0) return c;
            c = Integer.compare(ll[y], ll[x]);
            if (c != 0) return c;
            c = Integer.compare(lr[y], lr[x]);
            if (c != 0) return c;
            c = Integer.compare(m[x], m[y]);
            if (c != 0) return c;
            c = Integer.compare(l[x], l[y]);
            return c != 0 ? c : Integer.compare(r[x], r[y]);
        });
        for (int rank = 0; rank < count; rank++) {
            int i = idx[rank];
            table.put(left[i], right[i], rank, merged[i]);
        }
        return table;
    }

    private static String requireString(GGUFMetadata md, String key) {
        GGUFMetadata.Entry e = md.entry(key);
        if (e == null) throw new TokenizerFormatException("missing metadata key '" + key + "'");
        if (e.type() != GGUFValueType.STRING) throw new TokenizerFormatException("metadata key '" + key + "' is " + describe(e) + ", expected a string");
        return (String) e.value();
    }

    @SuppressWarnings("unchecked")
    private static <T> T requireArray(GGUFMetadata md, String key, GGUFValueType element, String expected) {
        GGUFMetadata.Entry e = md.entry(key);
        if (e == null) throw new TokenizerFormatException("missing metadata key '" + key + "'");
        if (e.type() != GGUFValueType.ARRAY || e.elementType() != element) {
            throw new TokenizerFormatException("metadata key '" + key + "' is " + describe(e) + ", expected " + expected);
        }
        return (T) e.value();
    }

    private static int[] requireIntArray(GGUFMetadata md, String key) {
        GGUFMetadata.Entry e = md.entry(key);
        if (e == null) throw new TokenizerFormatException("missing metadata key '" + key + "'");
        if (e.type() != GGUFValueType.ARRAY || (e.elementType() != GGUFValueType.INT32 && e.elementType() != GGUFValueType.UINT32
                && e.elementType() != GGUFValueType.INT16 && e.elementType() != GGUFValueType.UINT16
                && e.elementType() != GGUFValueType.INT8 && e.elementType() != GGUFValueType.UINT8)) {
            throw new TokenizerFormatException("metadata key '" + key + "' is " + describe(e) + ", expected an array of INT32");
        }
        return md.intArray(key);
    }

    private static int specialId(GGUFMetadata md, String key, int vocabSize) {
        GGUFMetadata.Entry e = md.entry(key);
        if (e == null) return -1;
        if (!e.type().isInteger()) throw new TokenizerFormatException("metadata key '" + key + "' is " + describe(e) + ", expected an integer");
        long v = ((Number) e.value()).longValue();
        if (e.type() == GGUFValueType.UINT32) v &= 0xFFFFFFFFL;
        if (v < 0 || v >= vocabSize) {
            throw new TokenizerFormatException("metadata key '" + key + "' is " + v + ", outside the vocabulary [0, " + vocabSize + ")");
        }
        return (int) v;
    }

    private static String describe(GGUFMetadata.Entry e) {
        return e.type() == GGUFValueType.ARRAY ? "an array of " + e.elementType() : e.type().toString();
    }
}
