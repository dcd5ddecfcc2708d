package dev.jemma.tokenizer;

import dev.jemma.CacheRoot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.zip.CRC32C;

/**
 * A persistent cache of the merge list {@link GgufTokenizerLoader} derives from a GGUF vocabulary, which costs
 * about a second at every start (a quarter of a million pieces split every way, half a million pairs sorted);
 * reading it back costs milliseconds.
 *
 * <p>Entries are keyed by the SHA-256 of everything the derivation reads (the pieces as the loader leaves them,
 * their scores and types) and of {@link #FORMAT}, so a different or edited vocabulary, or a new derivation, never
 * meets an old entry. A file is written to a temporary name and renamed into place, so readers see a whole file
 * or none. On reading, the magic, format, sizes, key, a CRC-32C of the whole file and every id are checked; a
 * file that fails is ignored (and rewritten). Failing to read or write is never an error: the list is derived
 * instead (a read-only home directory works, just slower).
 *
 * <p>Location: {@code -Djemma.tokenizerCache=DIR}, or {@code off} to disable; else {@code tokenizer/} under
 * {@link CacheRoot}.
 *
 * <p>File layout, little-endian: magic "JMRG", format, vocabulary size, merge count, 32-byte key, then the
 * left ids, the right ids and the merged ids (one int per merge each, in rank order), then the CRC-32C of
 * everything before it.
 */
final class MergeCache {
    /** Bump when the derivation or the file layout changes: old entries then no longer match any key. */
    static final int FORMAT = 1;
    static final int MAGIC = 0x47524D4A; // "JMRG" read as a little-endian int
    static final int HEADER_BYTES = 16 + 32;

    private static final System.Logger LOG = System.getLogger("dev.jemma.tokenizer");

    private final Path dir;

    MergeCache(Path dir) {
        this.dir = dir;
    }

    /** The cache the environment asks for, or null when disabled. */
    static MergeCache fromEnvironment() {
        String p = System.getProperty("jemma.tokenizerCache");
        if (p != null && (p.equalsIgnoreCase("off") || p.equalsIgnoreCase("false"))) return null;
        try {
            return new MergeCache(p != null && !p.isBlank() ? Path.of(p) : CacheRoot.path().resolve("tokenizer"));
        } catch (RuntimeException e) { // e.g. an invalid path
            return null;
        }
    }

    /**
     * {@link #key(String[], float[], int[])}, remembered per model file: the key of a file whose
     * {@link dev.jemma.gguf.GGUFMetadata#sourceIdentity() identity} (path, size, modification time, inode) was seen
     * before is read back instead of hashing the vocabulary again, which costs ~0.3 s of CPU on a cold JVM (most of
     * a one-shot command's tokenizer time). The entries themselves stay keyed by content: the memo only finds the
     * key. A file changed in place with its size and modification time restored would keep its old key; the memo
     * trusts the file system there, as build tools do.
     */
    byte[] key(String sourceIdentity, String[] tokens, float[] scores, int[] types) {
        if (sourceIdentity == null) return key(tokens, scores, types);
        Path memo = dir.resolve("file-" + HexFormat.of().formatHex(sha256(sourceIdentity.getBytes(java.nio.charset.StandardCharsets.UTF_8)), 0, 16) + ".key");
        try {
            if (Files.isRegularFile(memo) && Files.size(memo) == 36) {
                ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(memo)).order(ByteOrder.LITTLE_ENDIAN);
                CRC32C crc = new CRC32C();
                crc.update(b.array(), 0, 32);
                if ((int) crc.getValue() == b.getInt(32)) return Arrays.copyOf(b.array(), 32);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "tokenizer cache: cannot read " + memo + ": " + e);
        }
        byte[] key = key(tokens, scores, types);
        ByteBuffer b = ByteBuffer.allocate(36).order(ByteOrder.LITTLE_ENDIAN).put(key);
        CRC32C crc = new CRC32C();
        crc.update(key);
        b.putInt((int) crc.getValue());
        writeAtomically(memo, b.array(), "file-");
        return key;
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is a required JDK algorithm", e);
        }
    }

    /** SHA-256 of the derivation's inputs and {@link #FORMAT}. */
    static byte[] key(String[] tokens, float[] scores, int[] types) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is a required JDK algorithm", e);
        }
        byte[] buf = new byte[1 << 16];
        int at = putInt(buf, 0, MAGIC);
        at = putInt(buf, at, FORMAT);
        at = putInt(buf, at, tokens.length);
        for (String t : tokens) {
            int len = t.length();
            if (at + 4 > buf.length) {
                sha.update(buf, 0, at);
                at = 0;
            }
            at = putInt(buf, at, len); // lengths keep the concatenation unambiguous
            for (int k = 0; k < len; k++) {
                if (at + 2 > buf.length) {
                    sha.update(buf, 0, at);
                    at = 0;
                }
                char c = t.charAt(k);
                buf[at] = (byte) c;
                buf[at + 1] = (byte) (c >>> 8);
                at += 2;
            }
        }
        for (int i = 0; i < scores.length; i++) {
            if (at + 8 > buf.length) {
                sha.update(buf, 0, at);
                at = 0;
            }
            at = putInt(buf, at, Float.floatToRawIntBits(scores[i]));
            at = putInt(buf, at, types[i]);
        }
        sha.update(buf, 0, at);
        return sha.digest();
    }

    private static int putInt(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >>> 8);
        b[at + 2] = (byte) (v >>> 16);
        b[at + 3] = (byte) (v >>> 24);
        return at + 4;
    }

    Path file(byte[] key) {
        return dir.resolve("merges-" + HexFormat.of().formatHex(key) + ".bin");
    }

    /** The cached list for this key over a vocabulary of {@code vocabSize} ids, or null when absent or invalid. */
    MergeList read(byte[] key, int vocabSize) {
        Path f = file(key);
        byte[] bytes;
        try {
            if (!Files.isRegularFile(f)) return null;
            long size = Files.size(f);
            // no vocabulary has more merges than pieces × splits per piece: a larger file is never read into memory
            long most = HEADER_BYTES + 12L * vocabSize * GgufTokenizerLoader.MAX_MERGED_PIECE_CHARS + 4;
            if (size < HEADER_BYTES + 4 || size > Math.min(most, Integer.MAX_VALUE - 16)) return reject(f, "size " + size);
            bytes = Files.readAllBytes(f);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "tokenizer cache: cannot read " + f + ": " + e);
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(0) != MAGIC || b.getInt(4) != FORMAT) return reject(f, "magic or format");
        if (b.getInt(8) != vocabSize) return reject(f, "vocabulary size");
        int count = b.getInt(12);
        if (count < 0 || (long) HEADER_BYTES + 12L * count + 4 != bytes.length) return reject(f, "merge count");
        if (!Arrays.equals(bytes, 16, 48, key, 0, 32)) return reject(f, "key");
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        if ((int) crc.getValue() != b.getInt(bytes.length - 4)) return reject(f, "checksum");
        int[] left = new int[count], right = new int[count], merged = new int[count];
        b.position(HEADER_BYTES);
        b.asIntBuffer().get(left).get(right).get(merged);
        MergeList list = new MergeList(count);
        for (int r = 0; r < count; r++) {
            int l = left[r], rt = right[r], m = merged[r];
            if (l < 0 || l >= vocabSize || rt < 0 || rt >= vocabSize || m < 0 || m >= vocabSize) return reject(f, "id out of range");
            list.add(l, rt, m);
        }
        return list;
    }

    private static MergeList reject(Path f, String why) {
        LOG.log(System.Logger.Level.DEBUG, "tokenizer cache: ignoring " + f + " (bad " + why + "); it will be rebuilt");
        return null;
    }

    /** Stores the list under this key; best effort (false when it could not be written). */
    boolean write(byte[] key, int vocabSize, MergeList list) {
        int count = list.size();
        if ((long) HEADER_BYTES + 12L * count + 4 > Integer.MAX_VALUE - 16) return false;
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + 12 * count + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putInt(FORMAT).putInt(vocabSize).putInt(count).put(key, 0, 32);
        for (int r = 0; r < count; r++) b.putInt(list.left(r));
        for (int r = 0; r < count; r++) b.putInt(list.right(r));
        for (int r = 0; r < count; r++) b.putInt(list.merged(r));
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return writeAtomically(file(key), b.array(), "merges-");
    }

    /** The directory the entries live in. */
    Path dir() {
        return dir;
    }

    private boolean writeAtomically(Path target, byte[] bytes, String prefix) {
        return writeAtomically(dir, target, bytes, prefix);
    }

    /** Writes {@code bytes} to a temporary file in dir and renames it to target; best effort (false when it could not). */
    static boolean writeAtomically(Path dir, Path target, byte[] bytes, String prefix) {
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, prefix, ".tmp");
            Files.write(tmp, bytes);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "tokenizer cache: cannot write into " + dir + ": " + e);
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException | RuntimeException ignored) {
                    // nothing more to do: a stray temporary file is harmless
                }
            }
            return false;
        }
    }

}
