package dev.jemma.tokenizer;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * The finished lookup tables of one GGUF model file's vocabulary, piece → id ({@link PieceIndex}) and the merge
 * pairs ({@link PairTable}), stored beside {@link MergeCache}'s entries so that a later start of the same file reads
 * them back in one go. Building them hashes a quarter of a million pieces and half a million pairs, in code the JIT
 * has not compiled yet: about a tenth of a second of a one-shot command's start on two cores.
 *
 * <p>An entry is named and keyed by the file's {@link dev.jemma.gguf.GGUFMetadata#sourceIdentity() identity} (real
 * path, size, modification time, inode), which changes whenever the file is replaced or rewritten, and by this
 * class's and {@link MergeCache}'s formats; a file without one gets no entry. The magic, {@link #FORMAT}, the
 * vocabulary size, the table sizes, the identity, a CRC-32C of the whole file and every id in the tables are checked
 * on reading, and an entry that fails any check is ignored (and rewritten); a file over {@link #MAX_BYTES} is not
 * read at all. Entries are written to a temporary file and renamed into place, and only the {@link #KEEP} most
 * recently used are kept (a replaced model file leaves its entry behind). Failing to read or write is never an
 * error: the tables are built instead.
 *
 * <p>File layout, little-endian: magic "JTBL", format, vocabulary size, piece slots, pair slots, pairs, 32-byte
 * SHA-256 of the identity, then the piece slots (int each), the indexed-id bit set ((vocabulary + 63) / 64 longs),
 * the pair keys and the pair values (long each), then the CRC-32C of everything before it.
 */
final class TableSnapshot {
    /** Bump when the tables' layout or what they hold changes. */
    static final int FORMAT = 1;
    static final int MAGIC = 0x4C42544A; // "JTBL" read as a little-endian int
    static final int HEADER_BYTES = 24 + 32;
    /** Gemma 3's 262,144 pieces take 19 MB; a larger entry is not read into memory */
    static final long MAX_BYTES = 256L << 20;
    /** entries kept in the directory, the most recently used first */
    static final int KEEP = 8;

    private static final System.Logger LOG = System.getLogger("dev.jemma.tokenizer");

    private TableSnapshot() {
    }

    /** The two tables read back. */
    record Tables(PieceIndex pieces, PairTable merges) {
    }

    static Path file(Path dir, String sourceIdentity) {
        return file(dir, identityHash(sourceIdentity));
    }

    private static Path file(Path dir, byte[] identityHash) {
        return dir.resolve("tables-" + HexFormat.of().formatHex(identityHash, 0, 16) + ".bin");
    }

    private static byte[] identityHash(String sourceIdentity) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(FORMAT).putInt(MergeCache.FORMAT).array());
            return sha.digest(sourceIdentity.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is a required JDK algorithm", e);
        }
    }

    /** The tables stored for this file over {@code pieces}, or null when there are none or they fail a check. */
    static Tables read(Path dir, String sourceIdentity, String[] pieces) {
        byte[] id = identityHash(sourceIdentity);
        Path f = file(dir, id);
        int n = pieces.length;
        try (Arena arena = Arena.ofConfined()) {
            if (!Files.isRegularFile(f)) return null;
            MemorySegment s;
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                long size = ch.size();
                if (size < HEADER_BYTES + 4 || size > MAX_BYTES) return reject(f, "size " + size);
                s = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            }
            ValueLayout.OfInt i32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            ValueLayout.OfLong i64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            if (s.get(i32, 0) != MAGIC || s.get(i32, 4) != FORMAT) return reject(f, "magic or format");
            if (s.get(i32, 8) != n) return reject(f, "vocabulary size");
            int pieceSlots = s.get(i32, 12), pairSlots = s.get(i32, 16), pairs = s.get(i32, 20);
            if (pieceSlots != PieceIndex.slotCount(n)) return reject(f, "piece slots");
            if (pairSlots < 16 || Integer.bitCount(pairSlots) != 1 || pairs < 0 || pairs > pairSlots * 3L / 4) {
                return reject(f, "pair slots");
            }
            int words = (n + 63) / 64;
            long expected = HEADER_BYTES + 4L * pieceSlots + 8L * words + 16L * pairSlots + 4;
            if (s.byteSize() != expected) return reject(f, "length");
            for (int k = 0; k < 32; k++) if (s.get(ValueLayout.JAVA_BYTE, 24 + k) != id[k]) return reject(f, "identity");
            CRC32C crc = new CRC32C();
            crc.update(s.asSlice(0, expected - 4).asByteBuffer());
            if ((int) crc.getValue() != s.get(i32, expected - 4)) return reject(f, "checksum");

            long at = HEADER_BYTES;
            int[] slots = new int[pieceSlots];
            MemorySegment.copy(s, i32, at, slots, 0, pieceSlots);
            at += 4L * pieceSlots;
            long[] indexed = new long[words];
            MemorySegment.copy(s, i64, at, indexed, 0, words);
            at += 8L * words;
            long[] keys = new long[pairSlots], values = new long[pairSlots];
            MemorySegment.copy(s, i64, at, keys, 0, pairSlots);
            at += 8L * pairSlots;
            MemorySegment.copy(s, i64, at, values, 0, pairSlots);

            PieceIndex index = PieceIndex.restore(pieces, slots, indexed);
            if (index == null) return reject(f, "piece ids");
            PairTable table = PairTable.restore(keys, values, pairs, n);
            if (table == null) return reject(f, "pair ids");
            touch(f);
            return new Tables(index, table);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "tokenizer cache: cannot read " + f + ": " + e);
            return null;
        }
    }

    private static Tables reject(Path f, String why) {
        LOG.log(System.Logger.Level.DEBUG, "tokenizer cache: ignoring " + f + " (bad " + why + "); it will be rebuilt");
        return null;
    }

    /** Stores the tables for this file; best effort (false when they could not be written). */
    static boolean write(Path dir, String sourceIdentity, int vocabSize, PieceIndex pieces, PairTable merges) {
        int[] slots = pieces.slots();
        long[] indexed = pieces.indexedWords();
        long[] keys = merges.keys(), values = merges.values();
        long bytes = HEADER_BYTES + 4L * slots.length + 8L * indexed.length + 16L * keys.length + 4;
        if (bytes > MAX_BYTES) return false;
        ByteBuffer b = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putInt(FORMAT).putInt(vocabSize).putInt(slots.length).putInt(keys.length).putInt(merges.size());
        byte[] id = identityHash(sourceIdentity);
        b.put(id);
        b.asIntBuffer().put(slots);
        b.position(b.position() + 4 * slots.length);
        b.asLongBuffer().put(indexed).put(keys).put(values);
        b.position(b.position() + 8 * (indexed.length + keys.length + values.length));
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        if (!MergeCache.writeAtomically(dir, file(dir, id), b.array(), "tables-")) return false;
        prune(dir);
        return true;
    }

    /** Marks an entry used now, for {@link #prune}; best effort. */
    private static void touch(Path f) {
        try {
            Files.setLastModifiedTime(f, FileTime.from(Instant.now()));
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "tokenizer cache: cannot touch " + f + ": " + e);
        }
    }

    /** Deletes all but the {@link #KEEP} most recently used entries; best effort. */
    static void prune(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> entries = files.filter(p -> {
                String name = p.getFileName().toString();
                return name.startsWith("tables-") && name.endsWith(".bin");
            }).toList();
            if (entries.size() <= KEEP) return;
            Map<Path, Long> used = new HashMap<>();
            for (Path p : entries) used.put(p, Files.getLastModifiedTime(p).toMillis());
            List<Path> newestFirst = new ArrayList<>(entries);
            newestFirst.sort(Comparator.comparingLong((Path p) -> used.get(p)).reversed());
            for (Path old : newestFirst.subList(KEEP, newestFirst.size())) Files.deleteIfExists(old);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "tokenizer cache: cannot prune " + dir + ": " + e);
        }
    }
}
