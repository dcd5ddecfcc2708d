package dev.jemma.train.data;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads a file line by line as strict UTF-8 without ever holding more than {@code maxLineBytes} of one line, so a
 * file with no newlines (or one huge row) is refused instead of filling the heap. Lines end at '\n' ("\r\n" too).
 */
public final class BoundedLineReader implements Closeable {
    /** A line longer than the limit; {@link #lineNumber()} is the offending line. */
    public static final class LineTooLongException extends IOException {
        LineTooLongException(String message) {
            super(message);
        }
    }

    private final InputStream in;
    private final int maxLineBytes;
    private final byte[] buf = new byte[1 << 16];
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private int pos;
    private int end;
    private int lineNumber;
    private boolean eof;

    public BoundedLineReader(InputStream in, int maxLineBytes) {
        this.in = in;
        this.maxLineBytes = maxLineBytes;
    }

    /** The 1-based number of the line last returned. */
    public int lineNumber() {
        return lineNumber;
    }

    /** The next line without its terminator, or null at the end of the file. */
    public String readLine() throws IOException {
        if (eof) return null;
        line.reset();
        lineNumber++;
        while (true) {
            if (pos == end) {
                end = in.read(buf, 0, buf.length);
                pos = 0;
                if (end <= 0) {
                    end = 0;
                    eof = true;
                    if (line.size() > 0) return decode();
                    lineNumber--; // the file ended with a newline (or is empty): no further line
                    return null;
                }
            }
            int start = pos;
            while (pos < end && buf[pos] != '\n') pos++;
            append(start, pos - start);
            if (pos < end) { // found the newline
                pos++;
                return decode();
            }
        }
    }

    private void append(int from, int n) throws LineTooLongException {
        if ((long) line.size() + n > maxLineBytes) {
            throw new LineTooLongException("the line is longer than " + maxLineBytes + " bytes (the limit for one example)");
        }
        line.write(buf, from, n);
    }

    private String decode() throws CharacterCodingException {
        byte[] b = line.toByteArray();
        int n = b.length;
        if (n > 0 && b[n - 1] == '\r') n--;
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(b, 0, n)).toString();
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
