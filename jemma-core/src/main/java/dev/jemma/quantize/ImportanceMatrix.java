package dev.jemma.quantize;

import dev.jemma.gguf.GGUFFile;
import dev.jemma.gguf.GGUFMetadata;
import dev.jemma.gguf.GGUFValueType;
import dev.jemma.gguf.GGUFWriter;
import dev.jemma.gguf.ModelFormatException;
import dev.jemma.gguf.TensorInfo;
import dev.jemma.tensor.GGMLType;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An importance matrix: for each weight, the mean square of each input column over a calibration text, which
 * the K-quant and legacy searches use to weight their errors. Read and written in llama-imatrix's GGUF format
 * ({@code general.type = imatrix}, {@code imatrix.datasets}, {@code imatrix.chunk_count}, {@code imatrix.chunk_size};
 * per weight {@code <name>.in_sum2} [columns, matrices] and {@code <name>.counts} [1, matrices], both F32); its
 * older binary format ({@code .dat}) is read too. {@link #weights} normalises as llama-quantize does: sums divided
 * by the count, a count of zero giving all ones.
 */
public final class ImportanceMatrix {
    /** One weight's accumulated squares ({@code columns × matrices}) and token counts (one per matrix). */
    public record Entry(float[] sums, long[] counts) {}

    private static final long MAX_VALUES = 1L << 28;

    private final Map<String, Entry> entries;
    private final List<String> datasets;
    private final int chunkCount;
    private final int chunkSize;
    private final boolean legacy;

    public ImportanceMatrix(Map<String, Entry> entries, List<String> datasets, int chunkCount, int chunkSize) {
        this(entries, datasets, chunkCount, chunkSize, false);
    }

    private ImportanceMatrix(Map<String, Entry> entries, List<String> datasets, int chunkCount, int chunkSize, boolean legacy) {
        this.entries = Collections.unmodifiableMap(new TreeMap<>(entries));
        this.datasets = List.copyOf(datasets);
        this.chunkCount = chunkCount;
        this.chunkSize = chunkSize;
        this.legacy = legacy;
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    public List<String> datasets() {
        return datasets;
    }

    public int chunkCount() {
        return chunkCount;
    }

    public int chunkSize() {
        return chunkSize;
    }

    /** The normalised importance of {@code weight}'s input columns (per matrix, concatenated), or null when absent. */
    public float[] weights(String weight) {
        Entry e = entries.get(weight);
        if (e == null) return null;
        float[] out = new float[e.sums.length];
        if (legacy) {
            // the old format stores sums already averaged per call, times the number of calls
            long ncall = e.counts.length == 0 ? 0 : e.counts[0];
            for (int i = 0; i < out.length; i++) out[i] = ncall > 0 ? e.sums[i] / (float) ncall : e.sums[i];
            return out;
        }
        int ne0 = e.sums.length / e.counts.length;
        for (int j = 0; j < e.counts.length; j++) {
            float count = (float) e.counts[j];
            for (int i = 0; i < ne0; i++) out[j * ne0 + i] = count > 0 ? e.sums[j * ne0 + i] / count : 1f;
        }
        return out;
    }

    /** Reads either format; errors name the file and the entry. */
    public static ImportanceMatrix read(Path path) {
        if (!Files.isRegularFile(path)) throw new QuantizeException("importance matrix not found: " + path);
        if (!startsWithGgufMagic(path)) return readLegacy(path);
        try (GGUFFile f = GGUFFile.open(path)) {
            return readGguf(f, path);
        } catch (ModelFormatException e) {
            throw new QuantizeException("importance matrix " + path + " is not a valid GGUF file: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new QuantizeException("cannot read importance matrix " + path + ": " + e.getMessage(), e);
        }
    }

    private static boolean startsWithGgufMagic(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer m = ByteBuffer.allocate(4);
            while (m.hasRemaining() && ch.read(m) >= 0) { /* up to 4 bytes */ }
            return m.position() == 4 && new String(m.array(), StandardCharsets.US_ASCII).equals("GGUF");
        } catch (IOException e) {
            throw new QuantizeException("cannot read importance matrix " + path + ": " + e.getMessage(), e);
        }
    }

    private static ImportanceMatrix readGguf(GGUFFile f, Path path) {
        GGUFMetadata md = f.metadata();
        if (f.tensors().isEmpty()) throw new QuantizeException("importance matrix " + path + " has no entries");
        String type = md.contains("general.type") ? md.string("general.type") : "";
        if (!type.equals("imatrix")) {
            throw new QuantizeException(path + " is a GGUF file but not an importance matrix (general.type is '" + type + "')");
        }
        List<String> datasets = md.contains("imatrix.datasets") ? List.of(md.stringArray("imatrix.datasets")) : List.of();
        int chunkCount = (int) md.integer("imatrix.chunk_count", 0);
        int chunkSize = (int) md.integer("imatrix.chunk_size", 0);
        Map<String, TensorInfo[]> pairs = new TreeMap<>();
        for (TensorInfo t : f.tensors()) {
            String n = t.name();
            if (n.endsWith(".in_sum2")) pairs.computeIfAbsent(n.substring(0, n.length() - 8), k -> new TensorInfo[2])[0] = t;
            else if (n.endsWith(".counts")) pairs.computeIfAbsent(n.substring(0, n.length() - 7), k -> new TensorInfo[2])[1] = t;
        }
        Map<String, Entry> entries = new TreeMap<>();
        for (Map.Entry<String, TensorInfo[]> p : pairs.entrySet()) {
            TensorInfo sums = p.getValue()[0], counts = p.getValue()[1];
            String name = p.getKey();
            if (sums == null || counts == null) {
                throw new QuantizeException("importance matrix " + path + ": '" + name + "' has " + (sums == null ? "counts but no sums" : "sums but no counts"));
            }
            if (sums.type() != GGMLType.F32 || counts.type() != GGMLType.F32) {
                throw new QuantizeException("importance matrix " + path + ": sums and counts of '" + name + "' must be F32");
            }
            long nval = sums.elementCount(), ncount = counts.elementCount();
            if (nval > MAX_VALUES || ncount < 1 || nval % ncount != 0) {
                throw new QuantizeException("importance matrix " + path + ": '" + name + "' has " + nval + " sums for " + ncount + " counts");
            }
            float[] s = floats(f.tensorData(sums), (int) nval);
            float[] c = floats(f.tensorData(counts), (int) ncount);
            long[] lc = new long[c.length];
            for (int i = 0; i < c.length; i++) {
                if (!Float.isFinite(c[i]) || c[i] < 0) throw new QuantizeException("importance matrix " + path + ": count " + c[i] + " of '" + name + "'");
                lc[i] = Math.round((double) c[i]);
            }
            checkFinite(s, name, path);
            entries.put(name, new Entry(s, lc));
        }
        if (entries.isEmpty()) throw new QuantizeException("importance matrix " + path + " has no .in_sum2/.counts pairs");
        return new ImportanceMatrix(entries, datasets, chunkCount, chunkSize, false);
    }

    /** The old format: n, then per entry (name length, name, calls, values, floats), then optionally chunks and dataset. */
    private static ImportanceMatrix readLegacy(Path path) {
        ByteBuffer b;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            if (ch.size() > Integer.MAX_VALUE) throw new QuantizeException("importance matrix " + path + " is too large for the legacy format");
            b = ByteBuffer.allocate((int) ch.size()).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining() && ch.read(b) >= 0) { /* read all */ }
            b.flip();
        } catch (NoSuchFileException e) {
            throw new QuantizeException("importance matrix not found: " + path);
        } catch (IOException e) {
            throw new QuantizeException("cannot read importance matrix " + path + ": " + e.getMessage(), e);
        }
        String bad = "importance matrix " + path + " is neither GGUF nor llama.cpp's legacy .dat format: ";
        if (b.remaining() < 4) throw new QuantizeException(bad + "too short");
        int n = b.getInt();
        if (n < 1 || n > 1_000_000) throw new QuantizeException(bad + n + " entries");
        Map<String, Entry> entries = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            if (b.remaining() < 4) throw new QuantizeException(bad + "truncated at entry " + (i + 1));
            int len = b.getInt();
            if (len < 1 || len > 4096 || b.remaining() < len + 8L) throw new QuantizeException(bad + "entry " + (i + 1) + " has a name of " + len + " bytes");
            byte[] name = new byte[len];
            b.get(name);
            int ncall = b.getInt(), nval = b.getInt();
            if (nval < 1 || b.remaining() < 4L * nval) throw new QuantizeException(bad + "entry " + (i + 1) + " declares " + nval + " values");
            float[] s = new float[nval];
            b.asFloatBuffer().get(s);
            b.position(b.position() + 4 * nval);
            String key = new String(name, StandardCharsets.UTF_8);
            checkFinite(s, key, path);
            entries.put(key, new Entry(s, new long[]{ncall}));
        }
        int chunks = 0;
        List<String> datasets = new ArrayList<>();
        if (b.remaining() >= 4) {
            chunks = b.getInt();
            if (b.remaining() >= 4) {
                int len = b.getInt();
                if (len > 0 && b.remaining() >= len) {
                    byte[] d = new byte[len];
                    b.get(d);
                    datasets.add(new String(d, StandardCharsets.UTF_8));
                }
            }
        }
        return new ImportanceMatrix(entries, datasets, chunks, 0, true);
    }

    /** Writes llama-imatrix's GGUF format, entries in name order, atomically. */
    public void write(Path path) {
        GGUFWriter w = new GGUFWriter();
        w.putString("general.type", "imatrix");
        w.putArray("imatrix.datasets", GGUFValueType.STRING, datasets.toArray(String[]::new));
        w.putU32("imatrix.chunk_count", chunkCount);
        w.putU32("imatrix.chunk_size", chunkSize);
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            Entry v = e.getValue();
            int nmat = v.counts.length;
            float[] counts = new float[nmat];
            for (int i = 0; i < nmat; i++) counts[i] = (float) v.counts[i];
            w.tensor(e.getKey() + ".in_sum2", new long[]{v.sums.length / nmat, nmat}, GGMLType.F32, v.sums);
            w.tensor(e.getKey() + ".counts", new long[]{1, nmat}, GGMLType.F32, counts);
        }
        w.write(path);
    }

    private static float[] floats(MemorySegment s, int n) {
        float[] out = new float[n];
        MemorySegment.copy(s, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, out, 0, n);
        return out;
    }

    private static void checkFinite(float[] v, String name, Path path) {
        for (float x : v) {
            if (!Float.isFinite(x)) throw new QuantizeException("importance matrix " + path + ": '" + name + "' contains " + x);
        }
    }
}
