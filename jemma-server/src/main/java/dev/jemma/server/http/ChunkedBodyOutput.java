package dev.jemma.server.http;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** A response body: exactly {@code length} bytes, or chunks (each write one chunk). */
final class ChunkedBodyOutput extends OutputStream {
    private final OutputStream out;
    private final long length;
    private final boolean chunked;
    private final boolean discard;
    private long written;
    private boolean finished;

    ChunkedBodyOutput(OutputStream out, long length, boolean chunked, boolean discard) {
        this.out = out;
        this.length = length;
        this.chunked = chunked;
        this.discard = discard;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (finished) throw new IOException("response already finished");
        if (len == 0 || discard) return;
        if (chunked) {
            out.write((Integer.toHexString(len) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(b, off, len);
            out.write('\r');
            out.write('\n');
        } else {
            if (length >= 0 && written + len > length) throw new IOException("more bytes than the declared length");
            out.write(b, off, len);
        }
        written += len;
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        flush();
    }

    void finish() throws IOException {
        if (finished) return;
        finished = true;
        if (chunked) out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        else if (!discard && length >= 0 && written != length) throw new IOException("response shorter than its Content-Length");
    }
}
