package dev.jemma.gguf;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The metadata reader's UTF-8 decoding accepts and decodes exactly what the JDK's reporting decoder does. */
class Utf8StringsTest {

    private static String reference(byte[] b) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static void check(byte[] b) {
        byte[] padded = Arrays.copyOf(b, b.length + 3); // bytes past n must not be read
        padded[b.length] = (byte) 0x80;
        assertEquals(reference(b), Utf8Strings.decode(padded, b.length), () -> "bytes " + Arrays.toString(b));
    }

    @Test
    void everyOneAndTwoByteSequence() {
        check(new byte[0]);
        for (int a = 0; a < 256; a++) {
            check(new byte[] {(byte) a});
            for (int c = 0; c < 256; c++) check(new byte[] {(byte) a, (byte) c});
        }
    }

    @Test
    void everyThreeByteSequenceWithAMultiByteLead() {
        for (int a = 0xC0; a < 256; a++) {
            for (int c = 0x70; c < 0xD0; c++) {
                for (int d = 0x70; d < 0xD0; d++) check(new byte[] {(byte) a, (byte) c, (byte) d});
            }
        }
    }

    @Test
    void randomSequencesAndEdgeCases() {
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 200_000; i++) {
            byte[] b = new byte[1 + r.nextInt(7)];
            for (int k = 0; k < b.length; k++) b[k] = (byte) (r.nextBoolean() ? 0x80 + r.nextInt(0x80) : r.nextInt(256));
            check(b);
        }
        for (int cp : new int[] {0, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFD, 0xFFFF, 0x10000, 0x10FFFF, 0x1F600}) {
            check(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
            check(("ab▁" + new String(Character.toChars(cp))).getBytes(StandardCharsets.UTF_8));
        }
        check(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80});              // a surrogate
        check(new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}); // above U+10FFFF
        check(new byte[] {(byte) 0xE0, (byte) 0x80, (byte) 0x80});              // overlong
        check(new byte[] {(byte) 0xF0, (byte) 0x9F, (byte) 0x98});              // truncated
    }
}
