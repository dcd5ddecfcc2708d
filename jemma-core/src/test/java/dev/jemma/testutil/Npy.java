package dev.jemma.testutil;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A memory-mapped 2-D little-endian float32 .npy file (as NumPy writes them), read row by row. */
public final class Npy implements AutoCloseable {
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\((\\d+),\\s*(\\d+)\\s*,?\\)");
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment data;
    public final int rows;
    public final int cols;

    public Npy(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            int major = all.get(ValueLayout.JAVA_BYTE, 6);
            int headerLen = major == 1 ? Short.toUnsignedInt(all.get(ValueLayout.JAVA_SHORT_UNALIGNED, 8))
                    : all.get(ValueLayout.JAVA_INT_UNALIGNED, 8);
            int start = major == 1 ? 10 : 12;
            byte[] h = all.asSlice(start, headerLen).toArray(ValueLayout.JAVA_BYTE);
            String header = new String(h, StandardCharsets.US_ASCII);
            if (!header.contains("'descr': '<f4'") || header.contains("'fortran_order': True")) {
                throw new IOException(path + ": expected C-order <f4, header " + header);
            }
            Matcher m = SHAPE.matcher(header);
            if (!m.find()) throw new IOException(path + ": expected a 2-D shape, header " + header);
            rows = Integer.parseInt(m.group(1));
            cols = Integer.parseInt(m.group(2));
            data = all.asSlice(start + headerLen);
        }
    }

    public void row(int r, float[] out, int outOff) {
        MemorySegment.copy(data, ValueLayout.JAVA_FLOAT_UNALIGNED, (long) r * cols * 4, out, outOff, cols);
    }

    @Override
    public void close() {
        arena.close();
    }
}
