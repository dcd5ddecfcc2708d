package dev.jemma.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.zip.CRC32;

/**
 * A training run's full state in one file, {@code DIR/checkpoint.bin}: the options' fingerprint, the data's, the
 * optimizer step, then every trainable parameter with its two moments, and a CRC-32 of all of it. Written to a
 * temporary file and moved into place, so a kill at any moment leaves the previous checkpoint or the new one,
 * never half of one; the data position and every random choice follow from the step, so nothing else is needed to
 * resume bit for bit.
 */
final class Checkpoint {
    static final String FILE = "checkpoint.bin";
    private static final byte[] MAGIC = "JEMMA-TRAIN-CHECKPOINT\n".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;
    private static final int BLOCK = 1 << 16;
    private static final ObjectMapper JSON = new ObjectMapper();

    private Checkpoint() {}

    /** What a checkpoint says about the run that wrote it. */
    record Header(long step, String options, String data, int threads, JsonNode parameters) {
        Header(long step, String options, String data, int threads) {
            this(step, options, data, threads, null);
        }
    }

    static void write(Path dir, Header header, List<Parameter> params, AdamW optimizer) throws IOException {
        Files.createDirectories(dir);
        Path target = dir.resolve(FILE);
        Path tmp = Files.createTempFile(dir, ".checkpoint-", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                CRC32 crc = new CRC32();
                ObjectNode h = JSON.createObjectNode();
                h.put("version", VERSION).put("step", header.step()).put("options", header.options())
                        .put("data", header.data()).put("threads", header.threads());
                var list = h.putArray("parameters");
                for (Parameter p : params) list.addObject().put("name", p.name).put("size", p.size);
                byte[] json = JSON.writeValueAsBytes(h);
                ByteBuffer head = ByteBuffer.allocate(MAGIC.length + 4 + json.length).order(ByteOrder.LITTLE_ENDIAN);
                head.put(MAGIC).putInt(json.length).put(json).flip();
                put(ch, head, crc);
                ByteBuffer buf = ByteBuffer.allocate(4 * BLOCK).order(ByteOrder.LITTLE_ENDIAN);
                float[] block = new float[BLOCK];
                for (int i = 0; i < params.size(); i++) {
                    Parameter p = params.get(i);
                    for (int off = 0; off < p.size; off += BLOCK) {
                        int n = Math.min(BLOCK, p.size - off);
                        p.read(off, block, n);
                        putFloats(ch, buf, block, 0, n, crc);
                    }
                    putFloats(ch, buf, optimizer.m[i], 0, p.size, crc);
                    putFloats(ch, buf, optimizer.v[i], 0, p.size, crc);
                }
                ByteBuffer tail = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(crc.getValue()).flip();
                while (tail.hasRemaining()) ch.write(tail);
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw new IOException("cannot write the checkpoint " + target + ": " + e.getMessage(), e);
        }
    }

    static Header readHeader(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir.resolve(FILE), StandardOpenOption.READ)) {
            return header(ch, new CRC32(), dir);
        } catch (NoSuchFileException e) {
            throw new TrainingException("no checkpoint in " + dir + " (expected " + dir.resolve(FILE) + ")");
        }
    }

    /** Loads parameters and optimizer state; the caller has checked the header against its run. */
    static void read(Path dir, List<Parameter> params, AdamW optimizer) throws IOException {
        Path file = dir.resolve(FILE);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            CRC32 crc = new CRC32();
            Header h = header(ch, crc, dir);
            JsonNode names = h.parameters();
            if (names.size() != params.size()) {
                throw new TrainingException(file + " holds " + names.size() + " tensors; this run trains " + params.size());
            }
            long expected = 0;
            for (int i = 0; i < params.size(); i++) {
                Parameter p = params.get(i);
                JsonNode n = names.get(i);
                if (!p.name.equals(n.path("name").asText()) || p.size != n.path("size").asLong()) {
                    throw new TrainingException(file + ": tensor " + i + " is " + n.path("name").asText() + " [" + n.path("size").asLong()
                            + "], this run's is " + p.name + " [" + p.size + "]");
                }
                expected += 12L * p.size;
            }
            if (ch.size() - ch.position() != expected + 8) {
                throw new TrainingException(file + " is truncated or has extra bytes (" + (ch.size() - ch.position())
                        + " bytes of tensors, expected " + (expected + 8) + ")");
            }
            ByteBuffer buf = ByteBuffer.allocate(4 * BLOCK).order(ByteOrder.LITTLE_ENDIAN);
            float[] block = new float[BLOCK];
            for (int i = 0; i < params.size(); i++) {
                Parameter p = params.get(i);
                for (int off = 0; off < p.size; off += BLOCK) {
                    int n = Math.min(BLOCK, p.size - off);
                    getFloats(ch, buf, block, 0, n, crc);
                    p.write(off, block, n);
                }
                getFloats(ch, buf, optimizer.m[i], 0, p.size, crc);
                getFloats(ch, buf, optimizer.v[i], 0, p.size, crc);
            }
            ByteBuffer tail = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            while (tail.hasRemaining() && ch.read(tail) > 0) { }
            if (tail.flip().getLong() != crc.getValue()) throw new TrainingException(file + " is corrupt (checksum mismatch)");
            optimizer.step = h.step();
        }
    }

    private static Header header(FileChannel ch, CRC32 crc, Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        ByteBuffer head = ByteBuffer.allocate(MAGIC.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, head, file);
        byte[] magic = new byte[MAGIC.length];
        head.flip().get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) throw new TrainingException(file + " is not a Jemma training checkpoint");
        int len = head.getInt();
        if (len < 2 || len > (64 << 20)) throw new TrainingException(file + " has a header of " + len + " bytes: corrupt");
        ByteBuffer json = ByteBuffer.allocate(len);
        readFully(ch, json, file);
        crc.update(head.flip());
        crc.update(json.flip());
        JsonNode h;
        try {
            h = JSON.readTree(json.array());
        } catch (IOException e) {
            throw new TrainingException(file + " has a corrupt header: " + e.getMessage());
        }
        if (h.path("version").asInt() != VERSION) throw new TrainingException(file + " is version " + h.path("version").asInt() + ", this Jemma reads " + VERSION);
        return new Header(h.path("step").asLong(), h.path("options").asText(), h.path("data").asText(), h.path("threads").asInt(),
                h.path("parameters"));
    }

    private static void readFully(FileChannel ch, ByteBuffer b, Path file) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) throw new TrainingException(file + " is truncated");
        }
    }

    private static void put(FileChannel ch, ByteBuffer b, CRC32 crc) throws IOException {
        crc.update(b.duplicate());
        while (b.hasRemaining()) ch.write(b);
    }

    private static void putFloats(FileChannel ch, ByteBuffer buf, float[] src, int off, int n, CRC32 crc) throws IOException {
        for (int done = 0; done < n; ) {
            int k = Math.min(BLOCK, n - done);
            buf.clear();
            buf.asFloatBuffer().put(src, off + done, k);
            buf.limit(4 * k);
            put(ch, buf, crc);
            done += k;
        }
    }

    private static void getFloats(FileChannel ch, ByteBuffer buf, float[] dst, int off, int n, CRC32 crc) throws IOException {
        for (int done = 0; done < n; ) {
            int k = Math.min(BLOCK, n - done);
            buf.clear().limit(4 * k);
            while (buf.hasRemaining()) {
                if (ch.read(buf) < 0) throw new TrainingException("checkpoint truncated");
            }
            buf.flip();
            crc.update(buf.duplicate());
            buf.asFloatBuffer().get(dst, off + done, k);
            done += k;
        }
    }
}
