package dev.jemma.tokenizer;

import dev.jemma.gguf.GGUFFile;
import dev.jemma.gguf.GGUFMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The persistent cache of derived merges: it must give exactly the derived table, or be ignored. */
class MergeCacheTest {
    @TempDir
    Path tmp;

    private static final GgufTokenizerLoader.MergeOrder DERIVED = GgufTokenizerLoader.MergeOrder.DERIVED_RANKS;
    private static final String[] TEXTS = {"hello abc", "▁hello", "  hello\n\nabc😀é<b>", "llo bc ab"};

    private GGUFMetadata synthetic(float lastScore) {
        SyntheticTokenizerTest.Vocab v = SyntheticTokenizerTest.syntheticVocab();
        v.scores.set(v.scores.size() - 1, lastScore);
        return v.gguf().metadata(tmp);
    }

    private Path cacheDir() {
        return tmp.resolve("cache");
    }

    private List<Path> cacheFiles() throws IOException {
        if (!Files.isDirectory(cacheDir())) return List.of();
        try (Stream<Path> s = Files.list(cacheDir())) {
            return s.filter(p -> p.getFileName().toString().startsWith("merges-")).sorted().toList();
        }
    }

    private List<Path> memoFiles() throws IOException {
        if (!Files.isDirectory(cacheDir())) return List.of();
        try (Stream<Path> s = Files.list(cacheDir())) {
            return s.filter(p -> p.getFileName().toString().startsWith("file-")).sorted().toList();
        }
    }

    private Path settledFile(float lastScore, Path file, int seconds) throws IOException {
        return settledFile(tmp, lastScore, file, seconds);
    }

    /**
     * The synthetic vocabulary with its last score set to {@code lastScore}, written to {@code file} (in place when it
     * exists: same inode, same size) and dated an hour ago plus {@code seconds}, so that it has an identity.
     */
    static Path settledFile(Path scratch, float lastScore, Path file, int seconds) throws IOException {
        SyntheticTokenizerTest.Vocab v = SyntheticTokenizerTest.syntheticVocab();
        v.scores.set(v.scores.size() - 1, lastScore);
        Path dir = Files.createDirectories(scratch.resolve("w" + System.nanoTime()));
        Path written = v.gguf().write(dir);
        Files.write(file, Files.readAllBytes(written));
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.from(
                java.time.Instant.now().minusSeconds(3600).plusSeconds(seconds)));
        return file;
    }

    static GGUFMetadata open(Path file) throws IOException {
        try (GGUFFile f = GGUFFile.open(file)) {
            return f.metadata();
        }
    }

    @Test
    void aSettledFileRemembersItsKeyAndARewriteGetsANewOne() throws IOException {
        Path model = tmp.resolve("model.gguf");
        MergeCache cache = new MergeCache(cacheDir());
        GGUFMetadata a = open(settledFile(-22, model, 0));
        assertNotNull(a.sourceIdentity(), "a settled file has an identity");
        Tokenizer freshA = GgufTokenizerLoader.load(a, DERIVED, null);
        assertSameTable(freshA.merges(), GgufTokenizerLoader.load(a, DERIVED, cache).merges());
        assertEquals(1, memoFiles().size(), "the file's key is remembered");
        assertSameTable(freshA.merges(), GgufTokenizerLoader.load(open(model), DERIVED, cache).merges());

        // the same path rewritten in place (same size and inode) with another vocabulary and a new date
        GGUFMetadata b = open(settledFile(-1.5f, model, 60));
        assertNotEquals(a.sourceIdentity(), b.sourceIdentity());
        Tokenizer freshB = GgufTokenizerLoader.load(b, DERIVED, null);
        Tokenizer cachedB = GgufTokenizerLoader.load(b, DERIVED, cache);
        assertSameTable(freshB.merges(), cachedB.merges());
        assertNotEquals(freshA.merges().get(freshA.idOf("▁"), freshA.idOf("hello")),
                cachedB.merges().get(freshA.idOf("▁"), freshA.idOf("hello")));
        assertEquals(2, cacheFiles().size(), "one entry per vocabulary");
    }

    @Test
    void aDamagedKeyMemoIsIgnoredAndRewritten() throws IOException {
        Path model = settledFile(-22, tmp.resolve("model.gguf"), 0);
        MergeCache cache = new MergeCache(cacheDir());
        GGUFMetadata md = open(model);
        Tokenizer fresh = GgufTokenizerLoader.load(md, DERIVED, null);
        GgufTokenizerLoader.load(md, DERIVED, cache);
        Path memo = memoFiles().getFirst();
        byte[] good = Files.readAllBytes(memo);
        for (byte[] bad : List.of(flip(good, 3), flip(good, good.length - 1), Arrays.copyOf(good, 20), new byte[0])) {
            Files.write(memo, bad);
            Files.deleteIfExists(TableSnapshot.file(cacheDir(), md.sourceIdentity())); // else the memo is not needed
            assertSameTable(fresh.merges(), GgufTokenizerLoader.load(md, DERIVED, cache).merges());
            assertArrayEquals(good, Files.readAllBytes(memo), "the damaged memo is rewritten");
        }
    }

    @Test
    void aFreshlyWrittenFileHasNoIdentity() {
        assertNull(synthetic(-22).sourceIdentity(), "modified seconds ago: a rewrite in the same clock tick would look the same");
    }

    static void assertSameTable(PairTable expected, PairTable actual) {
        assertEquals(expected.size(), actual.size(), "number of merges");
        int[] bad = {0};
        expected.forEach((l, r, rank, merged) -> {
            if (actual.get(l, r) != (((long) rank << 32) | merged)) bad[0]++;
        });
        assertEquals(0, bad[0], "pairs whose (rank, merged id) differ");
    }

    private static void assertSameEncoding(Tokenizer expected, Tokenizer actual) {
        for (String t : TEXTS) assertArrayEquals(expected.encodeWithSpecial(t), actual.encodeWithSpecial(t), t);
    }

    @Test
    void roundTripGivesTheFreshlyDerivedTable() throws IOException {
        GGUFMetadata md = synthetic(-22);
        Tokenizer fresh = GgufTokenizerLoader.load(md, DERIVED, null);
        MergeCache cache = new MergeCache(cacheDir());
        Tokenizer first = GgufTokenizerLoader.load(md, DERIVED, cache);   // derives and writes
        assertEquals(1, cacheFiles().size(), "one cache file written");
        Tokenizer second = GgufTokenizerLoader.load(md, DERIVED, cache);  // reads
        assertSameTable(fresh.merges(), first.merges());
        assertSameTable(fresh.merges(), second.merges());
        assertSameEncoding(fresh, second);
        assertTrue(fresh.merges().size() > 5, "the synthetic vocabulary has merges");
    }

    @Test
    void readReturnsExactlyWhatWasWritten() {
        MergeCache cache = new MergeCache(cacheDir());
        MergeList list = new MergeList(2);
        list.add(3, 4, 5);
        list.add(1, 2, 6);
        byte[] key = new byte[32];
        key[0] = 1;
        assertTrue(cache.write(key, 10, list));
        assertEquals(list, cache.read(key, 10));
        assertNull(cache.read(key, 11), "another vocabulary size");
        key[31] = 9;
        assertNull(cache.read(key, 10), "another key");
    }

    @Test
    void corruptOrTruncatedFilesAreRebuiltNotTrusted() throws IOException {
        GGUFMetadata md = synthetic(-22);
        Tokenizer fresh = GgufTokenizerLoader.load(md, DERIVED, null);
        MergeCache cache = new MergeCache(cacheDir());
        GgufTokenizerLoader.load(md, DERIVED, cache);
        Path f = cacheFiles().getFirst();
        byte[] good = Files.readAllBytes(f);
        List<byte[]> bad = List.of(
                flip(good, MergeCache.HEADER_BYTES + 1),       // a merge id
                flip(good, good.length - 1),                   // the checksum
                flip(good, 0),                                 // the magic
                flip(good, 4),                                 // the format
                flip(good, 20),                                // the key
                Arrays.copyOf(good, good.length - 5),          // truncated
                Arrays.copyOf(good, MergeCache.HEADER_BYTES),  // header only
                new byte[0]);
        byte[] key = Arrays.copyOfRange(good, 16, 48);
        for (byte[] b : bad) {
            Files.write(f, b);
            assertNull(cache.read(key, fresh.vocabularySize()), "a damaged file is rejected");
            Tokenizer t = GgufTokenizerLoader.load(md, DERIVED, cache);
            assertSameTable(fresh.merges(), t.merges());
            assertArrayEquals(good, Files.readAllBytes(f), "the damaged file is rewritten");
        }
    }

    @Test
    void aDifferentTokenizerNeverUsesAnothersEntry() throws IOException {
        GGUFMetadata a = synthetic(-22), b = synthetic(-1.5f); // one score differs: "▁hello" ranks first in b
        MergeCache cache = new MergeCache(cacheDir());
        Tokenizer ta = GgufTokenizerLoader.load(a, DERIVED, cache);
        Path fileA = cacheFiles().getFirst();
        Tokenizer freshB = GgufTokenizerLoader.load(b, DERIVED, null);
        assertFalse(Arrays.equals(MergeCache.key(piecesOf(ta), scoresOf(a), typesOf(a)),
                MergeCache.key(piecesOf(freshB), scoresOf(b), typesOf(b))), "keys differ");
        Tokenizer tb = GgufTokenizerLoader.load(b, DERIVED, cache);
        assertSameTable(freshB.merges(), tb.merges());
        assertEquals(2, cacheFiles().size(), "one entry per tokenizer");
        // a's file put under b's name is refused by the key it carries
        Path fileB = cacheFiles().stream().filter(p -> !p.equals(fileA)).findFirst().orElseThrow();
        Files.copy(fileA, fileB, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Tokenizer again = GgufTokenizerLoader.load(b, DERIVED, cache);
        assertSameTable(freshB.merges(), again.merges());
        assertNotEquals(ta.merges().get(ta.idOf("▁"), ta.idOf("hello")), again.merges().get(ta.idOf("▁"), ta.idOf("hello")));
    }

    @Test
    void anUnwritableCacheStillWorks() throws IOException {
        GGUFMetadata md = synthetic(-22);
        Tokenizer fresh = GgufTokenizerLoader.load(md, DERIVED, null);
        Path notADir = Files.writeString(tmp.resolve("file"), "x");
        Tokenizer t = GgufTokenizerLoader.load(md, DERIVED, new MergeCache(notADir.resolve("cache")));
        assertSameTable(fresh.merges(), t.merges());
        assertNotNull(t);
    }

    /** On the real vocabulary, when present: cached table == derived table, and both sort orders agree. */
    @Test
    void realVocabularyRoundTrip() throws IOException {
        Path model = TokenizerAssets.ggufPath();
        try (GGUFFile f = GGUFFile.open(model)) {
            Tokenizer fresh = GgufTokenizerLoader.load(f.metadata(), DERIVED, null);
            MergeCache cache = new MergeCache(cacheDir());
            GgufTokenizerLoader.load(f.metadata(), DERIVED, cache);
            Tokenizer cached = GgufTokenizerLoader.load(f.metadata(), DERIVED, cache);
            assertSameTable(fresh.merges(), cached.merges());

            String[] pieces = piecesOf(fresh);
            byte[] kinds = new byte[pieces.length];
            for (int i = 0; i < kinds.length; i++) kinds[i] = fresh.kind(i);
            GgufTokenizerLoader.Candidates c = GgufTokenizerLoader.candidates(pieces, kinds, PieceIndex.of(pieces, null));
            float[] effective = GgufTokenizerLoader.effectiveScores(scoresOf(f.metadata()), typesOf(f.metadata()));
            assertEquals(GgufTokenizerLoader.rankedMerges(c, effective, false), GgufTokenizerLoader.rankedMerges(c, effective, true),
                    "packed-key sort == comparator sort");
        }
    }

    private static String[] piecesOf(Tokenizer t) {
        String[] p = new String[t.vocabularySize()];
        for (int i = 0; i < p.length; i++) p[i] = t.tokenText(i);
        return p;
    }

    private static float[] scoresOf(GGUFMetadata md) {
        return md.floatArray(GgufTokenizerLoader.KEY_SCORES);
    }

    private static int[] typesOf(GGUFMetadata md) {
        return md.intArray(GgufTokenizerLoader.KEY_TYPES);
    }

    private static byte[] flip(byte[] b, int at) {
        byte[] c = b.clone();
        c[at] ^= 0x5A;
        return c;
    }
}
