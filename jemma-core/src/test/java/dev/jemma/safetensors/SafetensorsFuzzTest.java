package dev.jemma.safetensors;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * 10,000 seeded mutants of a small valid file (byte flips, insertions, deletions, truncations, header-length
 * changes, replaced numbers and dtypes, white space, renamed keys): each one opens cleanly, with every tensor's bytes inside the file,
 * or is refused with a {@link SafetensorsFormatException}. Nothing else may escape. Every 40th mutant goes
 * through a real file and {@link SafetensorsFile#open}; the rest are parsed in memory.
 */
@Tag("reliability")
@Timeout(60)
class SafetensorsFuzzTest {
    static final int MUTANTS = 10_000;
    static final long SEED = 0x5AFE7E5L;
    static final String[] NUMBERS = {"-1", "0", "1", "-0", "1.5", "1e3", "4294967296", "9223372036854775807",
            "9223372036854775808", "18446744073709551615", "18446744073709551616", "-9223372036854775808",
            "3037000500", "99999999999999999999999999999", "00", "2", "24", "4"};
    static final String[] DTYPES = {"F32", "F16", "BF16", "I64", "U8", "BOOL", "F64", "F4", "f32", "", "F8_E4M3", "X"};
    static final String ALPHABET = "{}[]\",:0123456789-.eE _abdfnstuFBI\\";
    static final Pattern NUMBER = Pattern.compile("-?\\d+");
    static final Pattern DTYPE = Pattern.compile("\"dtype\":\"([^\"]*)\"");

    @TempDir
    Path tmp;

    static byte[] base() {
        return new StBytes().meta("format", "pt")
                .f32("a", new long[] {2, 3}, 1, 2, 3, 4, 5, 6)
                .add("h", "F16", new long[] {4}, StBytes.f16(1, -2, 0.5f, 65504))
                .add("b", "BF16", new long[] {2, 2}, StBytes.bf16(1, -1, 2, 0.25f))
                .add("i", "I64", new long[] {1}, StBytes.i64(7))
                .f32("s", new long[] {}, 3)
                .build();
    }

    @Test
    void mutantsOpenCleanlyOrFailTyped() throws Exception {
        byte[] base = base();
        long n0 = ByteBuffer.wrap(base).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        byte[] header0 = java.util.Arrays.copyOfRange(base, 8, 8 + (int) n0);
        byte[] data0 = java.util.Arrays.copyOfRange(base, 8 + (int) n0, base.length);
        Random rnd = new Random(SEED);
        java.util.Map<String, Integer> reasons = new java.util.HashMap<>();
        int accepted = 0, rejected = 0, viaFile = 0, jsonReached = 0;
        for (int i = 0; i < MUTANTS; i++) {
            byte[] m = mutate(rnd, header0, data0, n0);
            Path name = Path.of("mutant-" + i);
            try {
                SafetensorsFile f;
                if (i % 40 == 0) {
                    name = tmp.resolve("mutant-" + i + ".safetensors");
                    Files.write(name, m);
                    viaFile++;
                    f = SafetensorsFile.open(name);
                } else {
                    f = SafetensorsFile.parse(name, MemorySegment.ofArray(m));
                }
                try (f) {
                    check(f, m.length);
                }
                accepted++;
            } catch (SafetensorsFormatException e) {
                rejected++;
                if (System.getProperty("fuzz.stats") != null) {
                    String k = e.getMessage().substring(name.toString().length()).replaceAll("'[^']*'|\"[^\"]*\"|\\d+", "_");
                    reasons.merge(k.length() > 70 ? k.substring(0, 70) : k, 1, Integer::sum);
                }
                assertTrue(e.getMessage().startsWith(name + ": "), e.getMessage());
                if (!e.getMessage().contains("header length") && !e.getMessage().contains("shorter than")) jsonReached++;
            } catch (Throwable t) {
                throw new AssertionError("mutant " + i + " (seed " + SEED + ") threw " + t + "; bytes: "
                        + HexFormat.of().formatHex(m, 0, Math.min(m.length, 600)), t);
            } finally {
                if (i % 40 == 0) Files.deleteIfExists(name);
            }
        }
        reasons.entrySet().stream().sorted(java.util.Map.Entry.comparingByValue(java.util.Comparator.reverseOrder()))
                .forEach(e -> System.out.println(e.getValue() + "\t" + e.getKey()));
        System.out.printf("safetensors fuzz: %d mutants, %d accepted, %d refused (%d past the length checks), %d via files%n",
                MUTANTS, accepted, rejected, jsonReached, viaFile);
        assertEquals(MUTANTS, accepted + rejected);
        assertTrue(accepted > MUTANTS / 50, "too few mutants accepted (" + accepted + "): the mutations are too blunt");
        assertTrue(jsonReached > MUTANTS / 2, "too few mutants reached the JSON (" + jsonReached + ")");
    }

    /** An accepted file's tensors are contiguous, in order, inside the file, and readable. */
    static void check(SafetensorsFile f, long fileSize) {
        long at = 8 + f.headerBytes();
        for (SafetensorsTensor t : f.tensors()) {
            assertEquals(at, t.offset(), t.name());
            assertEquals(Math.multiplyExact(t.elementCount(), t.dtype().byteSize()), t.byteSize());
            MemorySegment d = f.data(t);
            assertEquals(t.byteSize(), d.byteSize());
            if (d.byteSize() > 0) {
                d.get(ValueLayout.JAVA_BYTE, 0);
                d.get(ValueLayout.JAVA_BYTE, d.byteSize() - 1);
            }
            switch (t.dtype()) {
                case F32, F16, BF16 -> assertEquals(t.elementCount(), f.toFloats(t).length);
                default -> { }
            }
            assertSame(t, f.tensor(t.name()));
            at += t.byteSize();
        }
        assertEquals(fileSize, at);
        assertNotNull(f.metadata());
    }

    static byte[] mutate(Random rnd, byte[] header0, byte[] data0, long n0) {
        byte[] header = header0.clone();
        byte[] data = data0;
        long n = n0;
        boolean fixLength = rnd.nextInt(10) < 7;
        int ops = 1 + rnd.nextInt(3);
        long truncateTo = -1;
        Long lengthField = null;
        for (int k = 0; k < ops; k++) {
            int op = rnd.nextInt(12);
            switch (op) {
                case 0 -> { // bit flip
                    int p = rnd.nextInt(header.length);
                    header[p] ^= (byte) (1 << rnd.nextInt(8));
                }
                case 1 -> header[rnd.nextInt(header.length)] = (byte) rnd.nextInt(256);
                case 2 -> header[rnd.nextInt(header.length)] = (byte) ALPHABET.charAt(rnd.nextInt(ALPHABET.length()));
                case 3 -> { // insertion
                    int p = rnd.nextInt(header.length + 1), len = 1 + rnd.nextInt(8);
                    byte[] ins = new byte[len];
                    for (int j = 0; j < len; j++) {
                        ins[j] = rnd.nextBoolean() ? (byte) rnd.nextInt(256) : (byte) ALPHABET.charAt(rnd.nextInt(ALPHABET.length()));
                    }
                    header = splice(header, p, 0, ins);
                }
                case 4 -> { // deletion
                    int p = rnd.nextInt(header.length), len = Math.min(1 + rnd.nextInt(8), header.length - p);
                    header = splice(header, p, len, new byte[0]);
                }
                case 5 -> truncateTo = rnd.nextInt(8 + header.length + data.length + 1);
                case 6 -> lengthField = switch (rnd.nextInt(7)) {
                    case 0 -> n + rnd.nextInt(17) - 8;
                    case 1 -> 0L;
                    case 2 -> Long.MIN_VALUE;
                    case 3 -> -1L;
                    case 4 -> rnd.nextLong();
                    case 5 -> SafetensorsFile.MAX_HEADER_BYTES + 1;
                    default -> (long) rnd.nextInt(1 << 20);
                };
                case 7, 8 -> header = replace(rnd, header, NUMBER, NUMBERS, 0);
                case 9 -> header = replace(rnd, header, DTYPE, DTYPES, 1);
                case 10 -> header = splice(header, rnd.nextInt(header.length + 1), 0,
                        new byte[] {(byte) " \t\n\r".charAt(rnd.nextInt(4))}); // white space, often harmless
                case 11 -> { // a letter becomes another letter: renames a tensor or a key, or breaks a literal
                    int p = rnd.nextInt(header.length);
                    if (Character.isLetter(header[p])) header[p] = (byte) ('a' + rnd.nextInt(26));
                }
                default -> throw new AssertionError();
            }
            if (fixLength) n = header.length;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(lengthField != null ? lengthField : n);
        out.writeBytes(len.array());
        out.writeBytes(header);
        out.writeBytes(data);
        byte[] m = out.toByteArray();
        return truncateTo >= 0 && truncateTo < m.length ? java.util.Arrays.copyOf(m, (int) truncateTo) : m;
    }

    static byte[] splice(byte[] a, int at, int remove, byte[] insert) {
        byte[] r = new byte[a.length - remove + insert.length];
        System.arraycopy(a, 0, r, 0, at);
        System.arraycopy(insert, 0, r, at, insert.length);
        System.arraycopy(a, at + remove, r, at + insert.length, a.length - at - remove);
        return r;
    }

    /** Replaces one random match (group {@code group}) of the pattern by one of the values. */
    static byte[] replace(Random rnd, byte[] header, Pattern p, String[] values, int group) {
        String s = new String(header, StandardCharsets.ISO_8859_1);
        Matcher m = p.matcher(s);
        int count = 0;
        while (m.find()) count++;
        if (count == 0) return header;
        int pick = rnd.nextInt(count);
        m.reset();
        for (int j = 0; j <= pick; j++) m.find();
        String v = values[rnd.nextInt(values.length)];
        return (s.substring(0, m.start(group)) + v + s.substring(m.end(group))).getBytes(StandardCharsets.ISO_8859_1);
    }
}
