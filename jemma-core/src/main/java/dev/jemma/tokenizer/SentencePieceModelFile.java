package dev.jemma.tokenizer;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The pieces of a SentencePiece {@code tokenizer.model}: the serialized {@code ModelProto} of
 * sentencepiece_model.proto (field 1, repeated {@code SentencePiece}: 1 piece, 2 score, 3 type; every other
 * field is skipped by its wire type). Read without a protobuf library: the format is four wire types.
 * Malformed input gives a {@link TokenizerFormatException} naming the file and the byte offset.
 */
public final class SentencePieceModelFile {
    /** SentencePiece's piece types (sentencepiece_model.proto). */
    public static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;
    private static final long MAX_BYTES = 256L << 20;

    public record Piece(String text, float score, int type) {}

    private SentencePieceModelFile() {}

    public static List<Piece> read(Path path) {
        byte[] b;
        try {
            if (Files.size(path) > MAX_BYTES) throw new TokenizerFormatException(path + ": larger than " + (MAX_BYTES >> 20) + " MiB, not a tokenizer.model");
            b = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new TokenizerFormatException("cannot read " + path + ": " + e.getMessage());
        }
        Reader r = new Reader(b, 0, b.length, path);
        List<Piece> pieces = new ArrayList<>();
        while (r.more()) {
            long key = r.varint();
            int field = (int) (key >>> 3), wire = (int) (key & 7);
            if (field == 1 && wire == 2) {
                int len = r.length();
                pieces.add(piece(new Reader(b, r.pos, r.pos + len, path)));
                r.pos += len;
            } else {
                r.skip(wire);
            }
        }
        if (pieces.isEmpty()) throw new TokenizerFormatException(path + " holds no pieces: not a SentencePiece model");
        return pieces;
    }

    private static Piece piece(Reader r) {
        String text = null;
        float score = 0;
        int type = NORMAL;
        while (r.more()) {
            long key = r.varint();
            int field = (int) (key >>> 3), wire = (int) (key & 7);
            if (field == 1 && wire == 2) {
                int len = r.length();
                text = r.utf8(len);
            } else if (field == 2 && wire == 5) {
                score = Float.intBitsToFloat(r.fixed32());
            } else if (field == 3 && wire == 0) {
                long t = r.varint();
                if (t < NORMAL || t > BYTE) throw r.error("piece type " + t);
                type = (int) t;
            } else {
                r.skip(wire);
            }
        }
        if (text == null) throw r.error("a piece without text");
        return new Piece(text, score, type);
    }

    private static final class Reader {
        final byte[] b;
        final int end;
        final Path path;
        int pos;

        Reader(byte[] b, int pos, int end, Path path) {
            this.b = b;
            this.pos = pos;
            this.end = end;
            this.path = path;
        }

        boolean more() {
            return pos < end;
        }

        long varint() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) throw error("truncated varint");
                int x = b[pos++] & 0xFF;
                v |= (long) (x & 0x7F) << shift;
                if (x < 0x80) return v;
            }
            throw error("varint longer than 10 bytes");
        }

        int length() {
            long n = varint();
            if (n < 0 || n > end - pos) throw error("length " + n + " past the end");
            return (int) n;
        }

        int fixed32() {
            if (end - pos < 4) throw error("truncated fixed32");
            int v = (b[pos] & 0xFF) | (b[pos + 1] & 0xFF) << 8 | (b[pos + 2] & 0xFF) << 16 | (b[pos + 3] & 0xFF) << 24;
            pos += 4;
            return v;
        }

        String utf8(int len) {
            try {
                String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b, pos, len)).toString();
                pos += len;
                return s;
            } catch (CharacterCodingException e) {
                throw error("a piece that is not UTF-8");
            }
        }

        void skip(int wire) {
            switch (wire) {
                case 0 -> varint();
                case 1 -> { if (end - pos < 8) throw error("truncated fixed64"); pos += 8; }
                case 2 -> {
                    int n = length(); // read before adding: `pos += length()` would add to the old pos
                    pos += n;
                }
                case 5 -> { if (end - pos < 4) throw error("truncated fixed32"); pos += 4; }
                default -> throw error("wire type " + wire);
            }
        }

        TokenizerFormatException error(String what) {
            return new TokenizerFormatException(path + ": not a SentencePiece model (" + what + " at byte " + pos + ")");
        }
    }
}
