package dev.jemma.cli;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Streams a 2-D little-endian float32 array into a NumPy .npy file (v1.0); the file appears whole or not at all. */
final class NpyWriter implements AutoCloseable {
    private final Path target;
    private final Path tmp;
    private final OutputStream out;
    private final long expected;
    private long written;
    private final ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

    private NpyWriter(Path target, Path tmp, OutputStream out, long expected) {
        this.target = target;
        this.tmp = tmp;
        this.out = out;
        this.expected = expected;
    }

    static NpyWriter create(Path target, int rows, int cols) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, target.getFileName().toString(), ".tmp");
        OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20);
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
        int total = 10 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        out.write(header.length() & 0xFF);
        out.write(header.length() >> 8);
        out.write(header.getBytes(StandardCharsets.US_ASCII));
        return new NpyWriter(target, tmp, out, (long) rows * cols);
    }

    void write(float[] values, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            if (!buf.hasRemaining()) flushBuf();
            buf.putFloat(values[i]);
        }
        written += n;
    }

    private void flushBuf() throws IOException {
        out.write(buf.array(), 0, buf.position());
        buf.clear();
    }

    @Override
    public void close() throws IOException {
        try {
            flushBuf();
            out.close();
            if (written == expected) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
