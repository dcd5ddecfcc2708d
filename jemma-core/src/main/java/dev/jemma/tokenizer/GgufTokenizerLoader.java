package dev.jemma.tokenizer;

import dev.jemma.Trace;
import dev.jemma.gguf.GGUFMetadata;
import dev.jemma.gguf.GGUFValueType;

import java.util.Arrays;

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
        return load(md, order, order == MergeOrder.DERIVED_RANKS ? MergeCache.fromEnvironment() : null);
    }

    /** As above, with the derived merges read from and written to {@code cache} (null: always derive). */
    static Tokenizer load(GGUFMetadata md, MergeOrder order, MergeCache cache) {
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

        // a model file loaded before: its finished tables, read in one go (no warnings: they were given then)
        String identity = md.sourceIdentity();
        boolean snapshot = order == MergeOrder.DERIVED_RANKS && cache != null && identity != null;
        if (snapshot) {
            TableSnapshot.Tables stored = TableSnapshot.read(cache.dir(), identity, tokens);
            if (stored != null) {
                Trace.mark("tokenizer: tables read from cache");
                return new Tokenizer(tokens, kinds, stored.pieces(), stored.merges(), bos, eos, pad, unk, false, false);
            }
        }

        // The cached merges (a hash of the vocabulary, a file read, a table) need only what is read so far: on a
        // cold JVM they take ~150 ms, so a second thread fetches them while this one indexes the pieces.
        java.util.concurrent.FutureTask<CachedMerges> cached = null;
        if (order == MergeOrder.DERIVED_RANKS && cache != null) {
            cached = new java.util.concurrent.FutureTask<>(() -> CachedMerges.read(cache, md.sourceIdentity(), tokens, scores, types));
            Thread t = new Thread(cached, "jemma-tokenizer-merges");
            t.setDaemon(true);
            t.start();
        }
        Tokenizer.IntBuffer duplicates = new Tokenizer.IntBuffer(8);
        PieceIndex pieceToId = PieceIndex.of(tokens, duplicates);
        int[] dup = duplicates.toArray();
        if (dup.length > 0) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < Math.min(5, dup.length); i++) {
                int id = dup[i];
                sb.append(i == 0 ? "" : ", ").append(id).append(" '").append(tokens[id]).append("' (first id ")
                        .append(pieceToId.get(tokens[id])).append(')');
            }
            LOG.log(System.Logger.Level.WARNING, "GGUF key '" + KEY_TOKENS + "' has " + dup.length
                    + " duplicate token texts; the first id wins for encoding: " + sb
                    + (dup.length > 5 ? ", ..." : ""));
        }
        Trace.mark("tokenizer: pieces indexed");
        PairTable table;
        if (cached != null) {
            CachedMerges merges = CachedMerges.await(cached);
            Trace.mark(merges.table != null ? "tokenizer: merges read from cache" : "tokenizer: merges not in cache");
            table = merges.table;
            if (table == null) {
                MergeList list = derivedRanks(tokens, scores, kinds, types, pieceToId);
                Trace.mark("tokenizer: merges derived");
                cache.write(merges.key, n, list);
                table = list.toTable();
            }
        } else {
            table = deriveMerges(tokens, scores, kinds, types, pieceToId, order);
        }
        Trace.mark("tokenizer: merge table built");
        if (snapshot) TableSnapshot.write(cache.dir(), identity, n, pieceToId, table);
        return new Tokenizer(tokens, kinds, pieceToId, table, bos, eos, pad, unk, false, false);
    }

    /** The cache key of a vocabulary and its merge table from the cache (null when not cached). */
    private record CachedMerges(byte[] key, PairTable table) {
        static CachedMerges read(MergeCache cache, String sourceIdentity, String[] tokens, float[] scores, int[] types) {
            byte[] key = cache.key(sourceIdentity, tokens, scores, types);
            MergeList list = cache.read(key, tokens.length);
            return new CachedMerges(key, list == null ? null : list.toTable());
        }

        static CachedMerges await(java.util.concurrent.FutureTask<CachedMerges> task) {
            try {
                return task.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new dev.jemma.JemmaException("interrupted while reading the tokenizer cache");
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof RuntimeException r) throw r;
                if (e.getCause() instanceof Error r) throw r;
                throw new IllegalStateException(e.getCause());
            }
        }
    }

    /**
     * All pairs (a, b) of pieces whose concatenation is a normal or user-defined piece, ranked as described
     * in the class comment.
     */
    static PairTable deriveMerges(String[] tokens, float[] scores, byte[] kinds, int[] types,
                                  PieceIndex pieceToId, MergeOrder order) {
        if (order == MergeOrder.DERIVED_RANKS) return derivedRanks(tokens, scores, kinds, types, pieceToId).toTable();
        Candidates c = candidates(tokens, kinds, pieceToId);
        float[] effective = effectiveScores(scores, types);
        // rank = position of the merged piece's score among all distinct scores, highest first
        float[] s = order == MergeOrder.GGUF_SCORES ? scores.clone() : effective;
        for (int i = 0; i < s.length; i++) s[i] += 0f;
        float[] distinct = s.clone();
        Arrays.sort(distinct);
        PairTable table = new PairTable(c.count);
        for (int i = 0; i < c.count; i++) {
            int pos = Arrays.binarySearch(distinct, s[c.merged[i]]);
            while (pos + 1 < distinct.length && distinct[pos + 1] == distinct[pos]) pos++;
            table.put(c.left[i], c.right[i], distinct.length - 1 - pos, c.merged[i]);
        }
        return table;
    }

    /** The merge list in {@link MergeOrder#DERIVED_RANKS} order (what {@link MergeCache} stores). */
    static MergeList derivedRanks(String[] tokens, float[] scores, byte[] kinds, int[] types, PieceIndex pieceToId) {
        return rankedMerges(candidates(tokens, kinds, pieceToId), effectiveScores(scores, types), true);
    }

    /**
     * User-defined pieces score 0 as in SentencePiece; "+ 0f" turns -0.0 into 0.0 (they compare equal, as in the
     * Python that wrote the merge list: Gemma's first normal piece "▁t" has score -0.0).
     */
    static float[] effectiveScores(float[] scores, int[] types) {
        float[] effective = new float[scores.length];
        for (int id = 0; id < scores.length; id++) effective[id] = types[id] == TYPE_USER_DEFINED ? 0f : scores[id] + 0f;
        return effective;
    }

    /** Every (a, b) → a+b split, in order of the merged id, then of the split point (left to right). */
    static final class Candidates {
        int count;
        int[] left = new int[1 << 16], right = new int[1 << 16], merged = new int[1 << 16];
        /** lengths of a and b in code points (at most {@link #MAX_MERGED_PIECE_CHARS}) */
        short[] lenLeft = new short[1 << 16], lenRight = new short[1 << 16];

        void add(int a, int b, int m, int la, int lb) {
            if (count == left.length) {
                int cap = count * 2;
                left = Arrays.copyOf(left, cap);
                right = Arrays.copyOf(right, cap);
                merged = Arrays.copyOf(merged, cap);
                lenLeft = Arrays.copyOf(lenLeft, cap);
                lenRight = Arrays.copyOf(lenRight, cap);
            }
            left[count] = a;
            right[count] = b;
            merged[count] = m;
            lenLeft[count] = (short) la;
            lenRight[count] = (short) lb;
            count++;
        }
    }

    static Candidates candidates(String[] tokens, byte[] kinds, PieceIndex pieceToId) {
        Candidates c = new Candidates();
        for (int id = 0; id < tokens.length; id++) {
            if (kinds[id] != Tokenizer.NORMAL && kinds[id] != Tokenizer.ADDED) continue;
            String t = tokens[id];
            int len = t.length();
            if (len < 2 || len > MAX_MERGED_PIECE_CHARS || pieceToId.get(t) != id) continue;
            int cps = t.codePointCount(0, len);
            int leftLen = 0;
            for (int k = 0; k < len; ) {
                k += Character.charCount(t.codePointAt(k));
                leftLen++;
                if (k >= len) break;
                int a = pieceToId.get(t, 0, k); // substring lookups without allocating the substrings
                if (a < 0) continue;
                int b = pieceToId.get(t, k, len);
                if (b < 0) continue;
                c.add(a, b, id, leftLen, cps - leftLen);
            }
        }
        return c;
    }

    /**
     * The candidates in merge-rank order: effective score of a+b (highest first), then the length of a, then of
     * b (longest first), then the id of a+b, then of a, then of b. Candidates come in order of a+b's id and, for
     * one a+b, each length of a once, so that tail is their index order. With {@code packed} (false only to test
     * the general path) the keys are packed into longs and sorted as primitives when they fit, which is several
     * times faster than sorting boxed indices with a comparator.
     */
    static MergeList rankedMerges(Candidates c, float[] effective, boolean packed) {
        int count = c.count;
        int[] order = packed ? packedOrder(c, effective) : null;
        if (order == null) order = comparatorOrder(c, effective);
        MergeList list = new MergeList(count);
        for (int i : order) list.add(c.left[i], c.right[i], c.merged[i]);
        return list;
    }

    /** The rank order by packed primitive keys, or null when a key does not fit in 63 bits. */
    private static int[] packedOrder(Candidates c, float[] effective) {
        int n = effective.length, count = c.count;
        // dense rank of every id's score, 0 for the highest: ~(order-preserving int) sorts highest first
        long[] byScore = new long[n];
        for (int id = 0; id < n; id++) {
            int bits = Float.floatToIntBits(effective[id]);
            int ascending = bits ^ ((bits >> 31) & 0x7FFFFFFF);
            byScore[id] = ((long) ~ascending << 32) | id;
        }
        Arrays.sort(byScore);
        int[] scoreRank = new int[n];
        int rank = -1;
        for (int i = 0; i < n; i++) {
            if (i == 0 || (byScore[i] >>> 32) != (byScore[i - 1] >>> 32)) rank++;
            scoreRank[(int) byScore[i]] = rank;
        }
        int rankBits = 32 - Integer.numberOfLeadingZeros(Math.max(1, rank));
        int indexBits = 32 - Integer.numberOfLeadingZeros(Math.max(1, count - 1));
        int lenBits = 9; // lengths ≤ MAX_MERGED_PIECE_CHARS = 256 < 512
        if (rankBits + 2 * lenBits + indexBits > 63) return null;
        long[] keys = new long[count];
        int lenMax = (1 << lenBits) - 1;
        for (int i = 0; i < count; i++) {
            keys[i] = ((long) scoreRank[c.merged[i]] << (2 * lenBits + indexBits))
                    | ((long) (lenMax - c.lenLeft[i]) << (lenBits + indexBits))
                    | ((long) (lenMax - c.lenRight[i]) << indexBits)
                    | i;
        }
        Arrays.sort(keys);
        int[] order = new int[count];
        long indexMask = (1L << indexBits) - 1;
        for (int r = 0; r < count; r++) order[r] = (int) (keys[r] & indexMask);
        return order;
    }

    /** The rank order by the full comparator (any vocabulary size). */
    private static int[] comparatorOrder(Candidates c, float[] effective) {
        int count = c.count;
        Integer[] idx = new Integer[count];
        for (int i = 0; i < count; i++) idx[i] = i;
        final int[] l = c.left, r = c.right, m = c.merged;
        final short[] ll = c.lenLeft, lr = c.lenRight;
        Arrays.sort(idx, (x, y) -> {
            int d = Float.compare(effective[m[y]], effective[m[x]]);
            if (d != 0) return d;
            d = Integer.compare(ll[y], ll[x]);
            if (d != 0) return d;
            d = Integer.compare(lr[y], lr[x]);
            if (d != 0) return d;
            d = Integer.compare(m[x], m[y]);
            if (d != 0) return d;
            d = Integer.compare(l[x], l[y]);
            return d != 0 ? d : Integer.compare(r[x], r[y]);
        });
        int[] order = new int[count];
        for (int i = 0; i < count; i++) order[i] = idx[i];
        return order;
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
