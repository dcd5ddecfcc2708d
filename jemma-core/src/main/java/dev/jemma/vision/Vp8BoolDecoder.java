package dev.jemma.vision;

/**
 * VP8's boolean entropy decoder (RFC 6386, section 7): one bit at a time, each with an 8-bit probability of being
 * zero. Past the end of its partition it reads zero bytes, as libwebp does; a partition read far past its end is
 * corrupt and reported as such.
 */
final class Vp8BoolDecoder {
    /** zero bytes a truncated partition may supply before the stream is called corrupt */
    private static final int SLACK = 8;

    private final byte[] data;
    private final int end;
    private int pos;
    private int value;
    private int range = 255;
    private int bitCount;
    private int beyond;

    Vp8BoolDecoder(byte[] data, int start, int end) {
        this.data = data;
        this.end = end;
        this.pos = start;
        value = (nextByte() << 8) | nextByte();
    }

    private int nextByte() {
        if (pos < end) return data[pos++] & 0xFF;
        if (++beyond > SLACK) throw new ImageInputException("the WebP image is truncated or corrupt (VP8 data ends early)");
        return 0;
    }

    /** One bit that is 0 with probability prob/256. */
    int bit(int prob) {
        int split = 1 + (((range - 1) * prob) >> 8);
        int bigSplit = split << 8;
        int bit;
        if (value >= bigSplit) {
            bit = 1;
            range -= split;
            value -= bigSplit;
        } else {
            bit = 0;
            range = split;
        }
        while (range < 128) {
            value <<= 1;
            range <<= 1;
            if (++bitCount == 8) {
                bitCount = 0;
                value |= nextByte();
            }
        }
        return bit;
    }

    /** An unsigned n-bit literal, most significant bit first, each bit even odds. */
    int literal(int n) {
        int v = 0;
        while (n-- > 0) v = (v << 1) | bit(128);
        return v;
    }

    /** An n-bit magnitude followed by its sign bit. */
    int signedLiteral(int n) {
        int v = literal(n);
        return bit(128) == 1 ? -v : v;
    }

    /** A flag. */
    boolean flag() {
        return bit(128) == 1;
    }
}
