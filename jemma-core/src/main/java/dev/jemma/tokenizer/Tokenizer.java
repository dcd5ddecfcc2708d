package dev.jemma.tokenizer;

import dev.jemma.gguf.GGUFMetadata;
import dev.jemma.gguf.Utf8Strings;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The Gemma 3 tokenizer: SentencePiece-style BPE with byte fallback, as the Hugging Face
 * {@code tokenizer.json} defines it.
 *
 * <p>Encoding: added tokens are found in the raw text first (leftmost, longest match wins); every
 * stretch of text between them is normalised (" " becomes "▁", nothing else: no dummy prefix, no
 * Unicode normalisation) and encoded as <em>one</em> BPE word: its characters (a character missing from
 * the vocabulary becomes its UTF-8 byte tokens {@code <0xNN>}) are merged pair by pair, always the pair
 * with the lowest merge rank, leftmost on ties, until no pair merges. Merging uses a priority queue over
 * a linked list of symbols, O(n log n) in the length of the word.
 *
 * <p>A Java string with an unpaired surrogate is encoded as if the surrogate were U+FFFD.
 *
 * <p>Decoding: "▁" becomes " ", each run of consecutive byte tokens is joined and decoded as UTF-8; a
 * run that is not valid UTF-8 becomes one U+FFFD per byte of the run (what the Hugging Face Rust
 * library does). Special tokens are kept as their text; nothing is stripped.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class Tokenizer {

    /** Token kinds. */
    static final byte NORMAL = 0, SPECIAL = 1, ADDED = 2, BYTE = 3, UNUSED = 4;

    private static final char SPACE_MARK = '\u2581';

    private final String[] pieces;
    /** pieces with "▁" as space, made on first use (most of a vocabulary is never decoded; a racing duplicate is harmless) */
    private final String[] decodedPieces;
    private final byte[] kinds;
    private final short[] byteValue;        // 0..255 for byte tokens, -1 otherwise
    private final int[] byteIds = new int[256];
    private final PieceIndex pieceToId;
    private final int[] bmpCharIds;          // single-character pieces by UTF-16 unit, -1 when absent
    private final Map<Integer, Integer> supplementaryCharIds;
    private final PairTable merges;
    private final AddedTokenMatcher allAdded;
    private final AddedTokenMatcher nonSpecialAdded;
    private final int bos, eos, pad, unk;
    private final boolean ignoreMerges;
    private final boolean fuseUnk;

    /**
     * @param pieces    token text by id (no nulls)
     * @param kinds     kind by id ({@link #NORMAL}, {@link #SPECIAL}, ...)
     * @param pieceToId text to id; for duplicate texts the id that encoding uses
     * @param merges    pair table (rank, merged id)
     */
    Tokenizer(String[] pieces, byte[] kinds, PieceIndex pieceToId, PairTable merges,
              int bos, int eos, int pad, int unk, boolean ignoreMerges, boolean fuseUnk) {
        int n = pieces.length;
        this.pieces = pieces;
        this.kinds = kinds;
        this.pieceToId = pieceToId;
        this.merges = merges;
        this.bos = bos;
        this.eos = eos;
        this.pad = pad;
        this.unk = unk;
        this.ignoreMerges = ignoreMerges;
        this.fuseUnk = fuseUnk;
        this.decodedPieces = new String[n];
        this.byteValue = new short[n];
        Arrays.fill(byteIds, -1);
        bmpCharIds = new int[65536];
        Arrays.fill(bmpCharIds, -1);
        supplementaryCharIds = new HashMap<>();
        int addedChars = 0;
        for (int id = 0; id < n; id++) {
            String p = pieces[id];
            byteValue[id] = -1;
            if (kinds[id] == BYTE) {
                int b = parseByteToken(p);
                if (b < 0) throw new TokenizerFormatException("byte token " + id + " has malformed text '" + p + "'");
                byteValue[id] = (short) b;
                if (byteIds[b] < 0) byteIds[b] = id;
                decodedPieces[id] = p;
                continue;
            }
            if (kinds[id] == SPECIAL || kinds[id] == ADDED) addedChars += p.length();
            if (!pieceToId.owns(id)) continue;
            if (p.length() == 1) {
                bmpCharIds[p.charAt(0)] = id;
            } else if (p.length() == 2 && Character.isSurrogatePair(p.charAt(0), p.charAt(1))) {
                supplementaryCharIds.put(p.codePointAt(0), id);
            }
        }
        allAdded = new AddedTokenMatcher(addedChars);
        nonSpecialAdded = new AddedTokenMatcher(addedChars);
        for (int id = 0; id < n; id++) {
            if (kinds[id] == SPECIAL) {
                allAdded.add(pieces[id], id);
            } else if (kinds[id] == ADDED) {
                allAdded.add(pieces[id], id);
                nonSpecialAdded.add(pieces[id], id);
            }
        }
    }

    /**
     * Builds the tokenizer from GGUF {@code tokenizer.ggml.*} metadata (model "llama", SentencePiece pieces,
     * scores and token types). Gives the same ids as the tokenizer.json of the same model; see
     * {@link GgufTokenizerLoader} for how merge ranks are rebuilt from the scores.
     *
     * @throws TokenizerFormatException naming the key when the metadata is missing, inconsistent or malformed
     */
    public static Tokenizer fromGGUF(GGUFMetadata md) {
        return GgufTokenizerLoader.load(md, GgufTokenizerLoader.MergeOrder.DERIVED_RANKS);
    }

    /**
     * Builds the tokenizer from a Hugging Face {@code tokenizer.json} (model type BPE). Added tokens keep
     * their {@code special} flag; BOS, EOS and padding are the pieces {@code <bos>}, {@code <eos>} and
     * {@code <pad>} (-1 when absent), the unknown token is {@code model.unk_token}.
     *
     * @throws TokenizerFormatException when the file is missing, malformed or uses unsupported features
     */
    public static Tokenizer fromTokenizerJson(Path tokenizerJson) {
        return TokenizerJsonLoader.load(tokenizerJson);
    }

    // ------------------------------------------------------------------------------------ encoding

    /**
     * Encodes plain text: special (control) tokens written in the text are not recognised and are
     * tokenized as ordinary text; non-special added tokens (newline, tab and "▁" runs, {@code <unusedN>},
     * HTML tags ...) are. No BOS is added.
     */
    public int[] encode(String text) {
        return encode(text, nonSpecialAdded);
    }

    /**
     * Encodes text in which every added token, special ones included ({@code <start_of_turn>}, {@code <bos>},
     * ...), is recognised; like Hugging Face {@code encode(text, add_special_tokens=False)}. No BOS is added.
     */
    public int[] encodeWithSpecial(String text) {
        return encode(text, allAdded);
    }

    private int[] encode(String text, AddedTokenMatcher matcher) {
        IntBuffer out = new IntBuffer(Math.max(16, text.length() / 3));
        Scratch scratch = new Scratch();
        int n = text.length();
        int segmentStart = 0;
        if (!matcher.isEmpty()) {
            for (int i = 0; i < n; ) {
                if (matcher.mayStartAt(text.charAt(i))) {
                    long m = matcher.longestAt(text, i);
                    if (m >= 0) {
                        encodeWord(text, segmentStart, i, out, scratch);
                        out.add((int) m);
                        i += (int) (m >>> 32);
                        segmentStart = i;
                        continue;
                    }
                }
                i++;
            }
        }
        encodeWord(text, segmentStart, n, out, scratch);
        return out.toArray();
    }

    /** Per-call working arrays, grown on demand and reused across the words of one call. */
    private static final class Scratch {
        int[] ids = new int[64];
        int[] prev = new int[64];
        int[] next = new int[64];
        long[] heap = new long[64];

        void ensureSymbols(int n) {
            if (ids.length < n) {
                int cap = Math.max(n, ids.length * 2);
                ids = new int[cap];
                prev = new int[cap];
                next = new int[cap];
            }
        }
    }

    /** Id of the single-character piece for code point cp, or -1. */
    private int charId(int cp) {
        if (cp < 0x10000) return bmpCharIds[cp];
        Integer id = supplementaryCharIds.get(cp);
        return id == null ? -1 : id;
    }

    /** BPE over text[start, end) as one word (after " " → "▁"). */
    private void encodeWord(String text, int start, int end, IntBuffer out, Scratch s) {
        if (start >= end) return;
        if (ignoreMerges) {
            int whole = pieceToId.get(text.substring(start, end).replace(' ', SPACE_MARK));
            if (whole >= 0) {
                out.add(whole);
                return;
            }
        }
        // 1. Initial symbols: characters, or their UTF-8 bytes when the character is not in the vocabulary.
        s.ensureSymbols((end - start) * 3);
        int[] ids = s.ids;
        int count = 0;
        boolean lastWasUnk = false;
        for (int i = start; i < end; ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == ' ') cp = SPACE_MARK;
            else if (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE) cp = 0xFFFD;
            int id = charId(cp);
            if (id >= 0) {
                ids[count++] = id;
                lastWasUnk = false;
                continue;
            }
            int before = count;
            boolean complete = true;
            if (cp < 0x80) {
                complete = addByte(ids, count++, cp);
            } else if (cp < 0x800) {
                complete = addByte(ids, count++, 0xC0 | (cp >> 6))
                        & addByte(ids, count++, 0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                complete = addByte(ids, count++, 0xE0 | (cp >> 12))
                        & addByte(ids, count++, 0x80 | ((cp >> 6) & 0x3F))
                        & addByte(ids, count++, 0x80 | (cp & 0x3F));
            } else {
                complete = addByte(ids, count++, 0xF0 | (cp >> 18))
                        & addByte(ids, count++, 0x80 | ((cp >> 12) & 0x3F))
                        & addByte(ids, count++, 0x80 | ((cp >> 6) & 0x3F))
                        & addByte(ids, count++, 0x80 | (cp & 0x3F));
            }
            if (complete) {
                lastWasUnk = false;
            } else {
                // no byte fallback possible: the unknown token (consecutive unknowns fused when configured)
                count = before;
                if (unk < 0) throw new IllegalArgumentException(
                        "character U+" + Integer.toHexString(cp).toUpperCase() + " cannot be encoded: no byte token and no unknown token");
                if (!(fuseUnk && lastWasUnk)) ids[count++] = unk;
                lastWasUnk = true;
            }
        }
        if (count == 1) {
            out.add(ids[0]);
            return;
        }
        // 2. Merge: min-heap of (rank << 32 | position); stale entries are skipped when popped.
        int[] prev = s.prev, next = s.next;
        for (int i = 0; i < count; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < count ? i + 1 : -1;
        }
        long[] heap = s.heap;
        int heapSize = 0;
        PairTable table = merges;
        for (int i = 0; i + 1 < count; i++) {
            long v = table.get(ids[i], ids[i + 1]);
            if (v >= 0) {
                if (heapSize == heap.length) heap = s.heap = Arrays.copyOf(heap, heapSize * 2);
                heap[heapSize++] = (v & 0xFFFFFFFF00000000L) | i;
            }
        }
        // heapify
        for (int i = (heapSize >>> 1) - 1; i >= 0; i--) siftDown(heap, heapSize, i);
        while (heapSize > 0) {
            long top = heap[0];
            heapSize--;
            if (heapSize > 0) {
                heap[0] = heap[heapSize];
                siftDown(heap, heapSize, 0);
            }
            int pos = (int) top;
            int rank = (int) (top >>> 32);
            int left = ids[pos];
            if (left < 0) continue;                 // symbol was merged into its left neighbour
            int right = next[pos];
            if (right < 0) continue;
            long v = table.get(left, ids[right]);
            if (v < 0 || (int) (v >>> 32) != rank) continue; // pair changed since this entry was queued
            // merge pos and right
            ids[pos] = (int) v;
            ids[right] = -1;
            int after = next[right];
            next[pos] = after;
            if (after >= 0) prev[after] = pos;
            // the merged symbol forms new pairs with both neighbours
            int before = prev[pos];
            for (int side = 0; side < 2; side++) {
                int a = side == 0 ? before : pos, b = side == 0 ? pos : after;
                if (a < 0 || b < 0) continue;
                long w = table.get(ids[a], ids[b]);
                if (w < 0) continue;
                if (heapSize == heap.length) heap = s.heap = Arrays.copyOf(heap, heapSize * 2);
                heap[heapSize] = (w & 0xFFFFFFFF00000000L) | a;
                siftUp(heap, heapSize++);
            }
        }
        for (int i = 0; i >= 0; i = next[i]) out.add(ids[i]);
    }

    private boolean addByte(int[] ids, int at, int b) {
        int id = byteIds[b];
        ids[at] = id;
        return id >= 0;
    }

    private static void siftDown(long[] heap, int size, int i) {
        long x = heap[i];
        int half = size >>> 1;
        while (i < half) {
            int c = 2 * i + 1;
            long cv = heap[c];
            int r = c + 1;
            if (r < size && heap[r] < cv) {
                c = r;
                cv = heap[r];
            }
            if (x <= cv) break;
            heap[i] = cv;
            i = c;
        }
        heap[i] = x;
    }

    private static void siftUp(long[] heap, int i) {
        long x = heap[i];
        while (i > 0) {
            int p = (i - 1) >>> 1;
            long pv = heap[p];
            if (pv <= x) break;
            heap[i] = pv;
            i = p;
        }
        heap[i] = x;
    }

    // ------------------------------------------------------------------------------------ decoding

    /**
     * Decodes ids to text keeping special tokens (like Hugging Face {@code decode(ids,
     * skip_special_tokens=False)}, no clean-up).
     *
     * @throws IllegalArgumentException for an id outside the vocabulary
     */
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder(ids.length * 4);
        ByteRun run = new ByteRun();
        for (int id : ids) {
            checkId(id);
            int b = byteValue[id];
            if (b >= 0) {
                run.add(b);
            } else {
                run.flushTo(sb);
                sb.append(decodedPiece(id));
            }
        }
        run.flushTo(sb);
        return sb.toString();
    }

    /** A new incremental decoder for one generation stream. */
    public StreamingDecoder streamingDecoder() {
        return new StreamingDecoder(this);
    }

    /** Byte value (0..255) when id is a byte token, else -1. Id must be valid. */
    int byteValueOf(int id) {
        checkId(id);
        return byteValue[id];
    }

    /** Text of a non-byte token as it appears in decoded output. Id must be valid. */
    String decodedPiece(int id) {
        String d = decodedPieces[id];
        if (d == null) decodedPieces[id] = d = pieces[id].replace(SPACE_MARK, ' ');
        return d;
    }

    /** Bytes of a run of byte tokens, decoded the Hugging Face way when the run ends. */
    static final class ByteRun {
        private byte[] bytes = new byte[16];
        private int size;

        void add(int b) {
            if (size == bytes.length) bytes = Arrays.copyOf(bytes, size * 2);
            bytes[size++] = (byte) b;
        }

        boolean isEmpty() {
            return size == 0;
        }

        /** Appends the run (valid UTF-8 → its text, else one U+FFFD per byte) and clears it. */
        void flushTo(StringBuilder sb) {
            if (size == 0) return;
            if (Utf8Strings.isValid(bytes, 0, size)) {
                sb.append(new String(bytes, 0, size, StandardCharsets.UTF_8));
            } else {
                for (int i = 0; i < size; i++) sb.append('\uFFFD');
            }
            size = 0;
        }
    }

    // ------------------------------------------------------------------------------------ vocabulary

    /** The raw piece text of a token (with "▁", byte tokens as {@code <0xNN>}). */
    public String tokenText(int id) {
        checkId(id);
        return pieces[id];
    }

    /** Number of token ids (model vocabulary plus added tokens beyond it). */
    public int vocabularySize() {
        return pieces.length;
    }

    /** BOS id, or -1 when the tokenizer data defines none. */
    public int bosId() {
        return bos;
    }

    /** EOS id, or -1 when the tokenizer data defines none. */
    public int eosId() {
        return eos;
    }

    /** Padding id, or -1 when the tokenizer data defines none. */
    public int padId() {
        return pad;
    }

    /** Unknown-token id, or -1 when the tokenizer data defines none. */
    public int unkId() {
        return unk;
    }

    /** The id of a piece (raw text, e.g. {@code "<end_of_turn>"} or {@code "▁the"}), or -1 when absent. */
    public int idOf(String piece) {
        return pieceToId.get(piece);
    }

    /** True for special/control tokens ({@code <bos>}, {@code <end_of_turn>}, ...), which are never shown as text. */
    public boolean isControl(int id) {
        return id >= 0 && id < kinds.length && kinds[id] == SPECIAL;
    }

    /**
     * The bytes this token contributes to decoded text (a byte token: its one byte; a piece: its UTF-8 with "▁" as
     * space), or null for control and unused tokens, which never stand for text. Used by constrained decoding.
     */
    public byte[] tokenBytes(int id) {
        checkId(id);
        if (kinds[id] == SPECIAL || kinds[id] == UNUSED) return null;
        if (byteValue[id] >= 0) return new byte[] {(byte) byteValue[id]};
        return decodedPiece(id).getBytes(StandardCharsets.UTF_8);
    }

    /** True for byte-fallback tokens {@code <0xNN>}. */
    boolean isByte(int id) {
        return id >= 0 && id < kinds.length && kinds[id] == BYTE;
    }

    /** The kind of a token ({@link #NORMAL}, {@link #SPECIAL}, ...). */
    byte kind(int id) {
        return kinds[id];
    }

    PairTable merges() {
        return merges;
    }

    private void checkId(int id) {
        if (id < 0 || id >= pieces.length) {
            throw new IllegalArgumentException("token id " + id + " outside the vocabulary [0, " + pieces.length + ")");
        }
    }

    /** 0..255 for text of the form {@code <0xHH>} (two hex digits), else -1. */
    static int parseByteToken(String p) {
        if (p.length() != 6 || !p.startsWith("<0x") || p.charAt(5) != '>') return -1;
        int hi = Character.digit(p.charAt(3), 16), lo = Character.digit(p.charAt(4), 16);
        if (hi < 0 || lo < 0 || p.charAt(3) > 'f' || p.charAt(4) > 'f') return -1;
        return hi * 16 + lo;
    }

    /** Growable int array. */
    static final class IntBuffer {
        private int[] a;
        private int n;

        IntBuffer(int capacity) {
            a = new int[capacity];
        }

        void add(int v) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
