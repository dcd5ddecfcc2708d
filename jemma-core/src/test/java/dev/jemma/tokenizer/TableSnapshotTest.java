package dev.jemma.tokenizer;

import dev.jemma.gguf.GGUFMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stored lookup tables of a model file's vocabulary: read back, they must give exactly the tables built from the
 * file (and so the same ids for every text), and any entry that is damaged or belongs to another file is ignored
 * and rewritten.
 */
class TableSnapshotTest {
    @TempDir
    Path tmp;

    private static final GgufTokenizerLoader.MergeOrder DERIVED = GgufTokenizerLoader.MergeOrder.DERIVED_RANKS;
    private static final String[] TEXTS = {"hello abc", "▁hello", "  hello\n\nabc😀é<b>", "llo bc ab", "<0x41>héllo"};

    private Path cacheDir() {
        return tmp.resolve("cache");
    }

    private List<Path> files(String prefix) throws IOException {
        if (!Files.isDirectory(cacheDir())) return List.of();
        try (Stream<Path> s = Files.list(cacheDir())) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix)).sorted().toList();
        }
    }

    private Path settledFile(float lastScore, Path file, int seconds) throws IOException {
        return MergeCacheTest.settledFile(tmp, lastScore, file, seconds);
    }

    private static GGUFMetadata open(Path file) throws IOException {
        return MergeCacheTest.open(file);
    }

    private static void assertSameTokenizer(Tokenizer expected, Tokenizer actual) {
        MergeCacheTest.assertSameTable(expected.merges(), actual.merges());
        for (String t : TEXTS) {
            assertArrayEquals(expected.encodeWithSpecial(t), actual.encodeWithSpecial(t), t);
            assertArrayEquals(expected.encode(t), actual.encode(t), t);
        }
        for (int id = 0; id < expected.vocabularySize(); id++) {
            assertEquals(expected.idOf(expected.tokenText(id)), actual.idOf(expected.tokenText(id)), "id of piece " + id);
        }
    }

    @Test
    void aSecondLoadReadsTheTablesInsteadOfBuildingThem() throws IOException {
        GGUFMetadata md = open(settledFile(-22, tmp.resolve("model.gguf"), 0));
        assertNotNull(md.sourceIdentity());
        Tokenizer fresh = GgufTokenizerLoader.load(md, DERIVED, null);
        MergeCache cache = new MergeCache(cacheDir());
        assertSameTokenizer(fresh, GgufTokenizerLoader.load(md, DERIVED, cache)); // builds, writes
        assertEquals(1, files("tables-").size());
        // with the merge cache's files gone, a load that built the tables would write them again
        for (Path p : files("merges-")) Files.delete(p);
        for (Path p : files("file-")) Files.delete(p);
        Tokenizer read = GgufTokenizerLoader.load(md, DERIVED, cache);
        assertTrue(files("merges-").isEmpty() && files("file-").isEmpty(), "the tables were read, not built");
        assertSameTokenizer(fresh, read);
    }

    @Test
    void aRewrittenFileGetsItsOwnTables() throws IOException {
        Path model = tmp.resolve("model.gguf");
        MergeCache cache = new MergeCache(cacheDir());
        GGUFMetadata a = open(settledFile(-22, model, 0));
        Tokenizer freshA = GgufTokenizerLoader.load(a, DERIVED, null);
        GgufTokenizerLoader.load(a, DERIVED, cache);
        GGUFMetadata b = open(settledFile(-1.5f, model, 60)); // same path, size and inode; another vocabulary
        assertNotEquals(a.sourceIdentity(), b.sourceIdentity());
        Tokenizer freshB = GgufTokenizerLoader.load(b, DERIVED, null);
        GgufTokenizerLoader.load(b, DERIVED, cache);
        assertEquals(2, files("tables-").size());
        assertSameTokenizer(freshB, GgufTokenizerLoader.load(b, DERIVED, cache));
        assertSameTokenizer(freshA, GgufTokenizerLoader.load(a, DERIVED, cache));
        assertNotEquals(freshA.merges().get(freshA.idOf("▁"), freshA.idOf("hello")),
                freshB.merges().get(freshA.idOf("▁"), freshA.idOf("hello")));
    }

    @Test
    void damagedOrForeignTablesAreIgnoredAndRewritten() throws IOException {
        GGUFMetadata md = open(settledFile(-22, tmp.resolve("model.gguf"), 0));
        Tokenizer fresh = GgufTokenizerLoader.load(md, DERIVED, null);
        MergeCache cache = new MergeCache(cacheDir());
        GgufTokenizerLoader.load(md, DERIVED, cache);
        Path f = TableSnapshot.file(cacheDir(), md.sourceIdentity());
        byte[] good = Files.readAllBytes(f);
        ByteBuffer h = ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN);
        int n = h.getInt(8), pieceSlots = h.getInt(12), pairSlots = h.getInt(16);
        int slotsAt = TableSnapshot.HEADER_BYTES, wordsAt = slotsAt + 4 * pieceSlots;
        int keysAt = wordsAt + 8 * ((n + 63) / 64), valuesAt = keysAt + 8 * pairSlots;
        int filledSlot = firstInt(good, slotsAt, pieceSlots, v -> v != 0), filledPair = firstLong(good, keysAt, pairSlots, v -> v != -1L);
        List<byte[]> bad = List.of(
                flip(good, 0),                                            // the magic
                flip(good, 4),                                            // the format
                flip(good, 8),                                            // the vocabulary size
                flip(good, 30),                                           // the identity
                flip(good, slotsAt + 4 * filledSlot),                     // a piece id: the checksum fails
                flip(good, good.length - 1),                              // the checksum
                Arrays.copyOf(good, good.length - 3),                     // truncated
                Arrays.copyOf(good, TableSnapshot.HEADER_BYTES),          // header only
                new byte[0],
                resealed(putInt(good, slotsAt + 4 * filledSlot, n + 7)), // a piece id out of range, checksum redone
                resealed(putInt(good, slotsAt + 4 * filledSlot, 0)),     // a piece dropped from its slot
                resealed(putInt(good, keysAt + 8 * filledPair + 4, n)),   // a pair's left id out of range
                resealed(putInt(good, valuesAt + 8 * filledPair, n + 1)), // a merged id out of range
                resealed(putInt(good, valuesAt + 8 * filledPair + 4, -3)),// a negative rank
                resealed(putInt(good, 20, h.getInt(20) + 1)),             // the pair count
                resealed(putInt(good, 16, pairSlots * 2)));               // the pair slots
        for (byte[] b : bad) {
            Files.write(f, b);
            assertNull(TableSnapshot.read(cacheDir(), md.sourceIdentity(), piecesOf(fresh)), "a damaged entry is rejected");
            assertSameTokenizer(fresh, GgufTokenizerLoader.load(md, DERIVED, cache));
            assertArrayEquals(good, Files.readAllBytes(f), "the damaged entry is rewritten");
        }
        // another file's entry under this file's name
        GGUFMetadata other = open(settledFile(-1.5f, tmp.resolve("other.gguf"), 30));
        GgufTokenizerLoader.load(other, DERIVED, cache);
        Files.copy(TableSnapshot.file(cacheDir(), other.sourceIdentity()), f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertNull(TableSnapshot.read(cacheDir(), md.sourceIdentity(), piecesOf(fresh)), "another file's entry is refused");
        assertSameTokenizer(fresh, GgufTokenizerLoader.load(md, DERIVED, cache));
    }

    @Test
    void onlyTheMostRecentlyUsedEntriesAreKept() throws IOException {
        MergeCache cache = new MergeCache(cacheDir());
        GGUFMetadata first = null;
        for (int i = 0; i <= TableSnapshot.KEEP + 2; i++) {
            GGUFMetadata md = open(settledFile(-22, tmp.resolve("model" + i + ".gguf"), i));
            if (i == 0) first = md;
            GgufTokenizerLoader.load(md, DERIVED, cache);
            // the first file's entry is used again after each other load: it must survive
            if (i > 0) assertNotNull(TableSnapshot.read(cacheDir(), first.sourceIdentity(), piecesOf(GgufTokenizerLoader.load(first, DERIVED, null))));
            Files.setLastModifiedTime(TableSnapshot.file(cacheDir(), md.sourceIdentity()),
                    java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 60_000L * (20 - i)));
        }
        assertEquals(TableSnapshot.KEEP, files("tables-").size());
        assertTrue(Files.exists(TableSnapshot.file(cacheDir(), first.sourceIdentity())), "the entry in use is kept");
    }

    @Test
    void aFileWithoutIdentityGetsNoTables() throws IOException {
        SyntheticTokenizerTest.Vocab v = SyntheticTokenizerTest.syntheticVocab();
        GGUFMetadata md = v.gguf().metadata(tmp); // written just now: no identity
        assertNull(md.sourceIdentity());
        GgufTokenizerLoader.load(md, DERIVED, new MergeCache(cacheDir()));
        assertTrue(files("tables-").isEmpty());
    }

    @Test
    void anUnwritableCacheStillWorks() throws IOException {
        GGUFMetadata md = open(settledFile(-22, tmp.resolve("model.gguf"), 0));
        Tokenizer fresh = GgufTokenizerLoader.load(md, DERIVED, null);
        Path notADir = Files.writeString(tmp.resolve("file"), "x");
        MergeCache cache = new MergeCache(notADir.resolve("cache"));
        assertSameTokenizer(fresh, GgufTokenizerLoader.load(md, DERIVED, cache));
        assertSameTokenizer(fresh, GgufTokenizerLoader.load(md, DERIVED, cache));
        assertFalse(Files.exists(notADir.resolve("cache")));
    }

    private static String[] piecesOf(Tokenizer t) {
        String[] p = new String[t.vocabularySize()];
        for (int i = 0; i < p.length; i++) p[i] = t.tokenText(i);
        return p;
    }

    private static int firstInt(byte[] b, int at, int count, java.util.function.IntPredicate p) {
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) if (p.test(bb.getInt(at + 4 * i))) return i;
        throw new AssertionError("no such entry");
    }

    private static int firstLong(byte[] b, int at, int count, java.util.function.LongPredicate p) {
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) if (p.test(bb.getLong(at + 8 * i))) return i;
        throw new AssertionError("no such entry");
    }

    private static byte[] putInt(byte[] b, int at, int v) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putInt(at, v);
        return c;
    }

    /** b with its checksum made right again, so only the checks of the contents can refuse it. */
    private static byte[] resealed(byte[] b) {
        CRC32C crc = new CRC32C();
        crc.update(b, 0, b.length - 4);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length - 4, (int) crc.getValue());
        return b;
    }

    private static byte[] flip(byte[] b, int at) {
        byte[] c = b.clone();
        c[at] ^= 0x5A;
        return c;
    }
}
