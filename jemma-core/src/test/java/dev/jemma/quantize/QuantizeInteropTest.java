package dev.jemma.quantize;

import dev.jemma.testutil.Assets;
import dev.jemma.gguf.GGUFFile;
import dev.jemma.gguf.GGUFMetadata;
import dev.jemma.gguf.TensorInfo;
import dev.jemma.tensor.GGMLType;
import dev.jemma.tensor.RowKernels;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Jemma's quantizer against llama.cpp's on the same f32 models (conformance/quantize_reference.py runs
 * llama-cpp-python's llama_model_quantize for every mix, with and without an importance matrix, --pure, and
 * --output-type/--token-embedding-type): the same tensors in the same order with the same types, the same
 * metadata, and the same bytes. Where K-quant bytes differ, the tensor's RMSE against the f32 weights must be
 * within 1.005× llama.cpp's; the count of such tensors is printed.
 */
class QuantizeInteropTest {
    @TempDir
    static Path dir;
    static boolean ran;

    @BeforeAll
    static void runReference() throws Exception {
        String python = System.getenv("JEMMA_PYTHON");
        if (python == null || python.isBlank()) return;
        Path script = root().resolve("conformance/quantize_reference.py");
        Process p = new ProcessBuilder(python, script.toString(), dir.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("reference.log").toFile()).start();
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "quantize_reference.py timed out");
        assertEquals(0, p.exitValue(), () -> "quantize_reference.py failed: " + read(dir.resolve("reference.log")));
        ran = true;
    }

    private static void requireReference() {
        if (ran) return;
        String msg = "JEMMA_PYTHON (the conformance venv's python, with llama-cpp-python) is not set";
        if (Assets.required()) Assertions.fail(msg);
        Assumptions.abort(msg);
    }

    @Test
    void everyMixMatchesLlamaCpp() throws Exception {
        requireReference();
        List<String> report = new ArrayList<>();
        int files = 0;
        for (String c : new String[]{"mix_a", "mix_b"}) {
            Path d = dir.resolve(c);
            ImportanceMatrix partial = ImportanceMatrix.read(d.resolve("imatrix.gguf"));
            ImportanceMatrix full = ImportanceMatrix.read(d.resolve("imatrix-full.gguf"));
            try (var listing = Files.list(d)) {
                for (Path ref : listing.sorted().toList()) {
                    String name = ref.getFileName().toString();
                    if (!name.endsWith(".gguf") || name.equals("f32.gguf") || name.startsWith("imatrix")) continue;
                    String stem = name.substring(0, name.length() - 5);
                    String[] parts = stem.split("-", 2);
                    QuantizationMix mix = QuantizationMix.parse(parts[0]);
                    String variant = parts.length > 1 ? parts[1] : "";
                    ImportanceMatrix imp = variant.equals("imatrix") ? (mix == QuantizationMix.Q2_K_S ? full : partial) : null;
                    var o = new ModelQuantizer.Options(mix, variant.equals("types") ? GGMLType.Q8_0 : null,
                            variant.equals("types") ? GGMLType.Q4_0 : null, variant.equals("pure"), false, imp,
                            imp == null ? null : "imatrix.gguf", 2);
                    Path ours = d.resolve("jemma-" + name);
                    try (GGUFFile in = GGUFFile.open(d.resolve("f32.gguf"))) {
                        ModelQuantizer.write(in, ModelQuantizer.plan(in, o), o, ours, null);
                    }
                    compare(d.resolve("f32.gguf"), ref, ours, c + "/" + name, report);
                    files++;
                }
            }
        }
        assertTrue(files >= 60, "expected every mix's reference, found " + files);
        System.out.println("[quantize interop] " + files + " files compared; tensors not byte-identical: "
                + (report.isEmpty() ? "none" : report.size() + "\n  " + String.join("\n  ", report)));
    }

    /** Same tensors, order, types and metadata; bytes equal or, for K types, RMSE within 1.005× llama.cpp's. */
    private static void compare(Path f32, Path refPath, Path oursPath, String label, List<String> report) throws Exception {
        try (GGUFFile src = GGUFFile.open(f32); GGUFFile ref = GGUFFile.open(refPath); GGUFFile ours = GGUFFile.open(oursPath)) {
            List<String> refNames = ref.tensors().stream().map(TensorInfo::name).toList();
            assertEquals(refNames, ours.tensors().stream().map(TensorInfo::name).toList(), label + ": tensor order");
            GGUFMetadata rm = ref.metadata(), om = ours.metadata();
            List<String> ourKeys = om.keys().stream().filter(k -> !k.startsWith("quantize.imatrix.")).toList();
            assertEquals(List.copyOf(rm.keys()), ourKeys, label + ": metadata keys");
            for (String k : rm.keys()) {
                assertEquals(rm.entry(k).type(), om.entry(k).type(), label + ": type of " + k);
                Object a = rm.entry(k).value(), b = om.entry(k).value();
                assertTrue(a.getClass().isArray() ? Arrays.deepEquals(new Object[]{a}, new Object[]{b}) : a.equals(b), label + ": value of " + k);
            }
            for (TensorInfo rt : ref.tensors()) {
                TensorInfo ot = ours.tensor(rt.name());
                assertEquals(rt.type(), ot.type(), label + ": type of " + rt.name());
                assertEquals(Arrays.toString(rt.shape()), Arrays.toString(ot.shape()), label + ": shape of " + rt.name());
                MemorySegment a = ref.tensorData(rt), b = ours.tensorData(ot);
                if (a.mismatch(b) == -1) continue;
                boolean kType = rt.type().blockSize == 256;
                Assertions.assertTrue(kType, label + ": " + rt.name() + " (" + rt.type() + ") differs from llama.cpp's bytes");
                float[] x = values(src, src.tensor(rt.name()));
                double rr = rmse(x, ref, rt), ro = rmse(x, ours, ot);
                long blocks = rt.byteSize() / rt.type().blockBytes, differing = 0;
                for (long i = 0; i < blocks; i++) {
                    long o = i * rt.type().blockBytes;
                    if (a.asSlice(o, rt.type().blockBytes).mismatch(b.asSlice(o, rt.type().blockBytes)) != -1) differing++;
                }
                report.add(String.format(Locale.ROOT, "%s %s %s: %d of %d blocks differ, RMSE %.6g vs llama.cpp %.6g (×%.5f)",
                        label, rt.name(), rt.type(), differing, blocks, ro, rr, ro / rr));
                assertTrue(ro <= 1.005 * rr, label + ": " + rt.name() + " RMSE " + ro + " > 1.005 × llama.cpp's " + rr);
            }
        }
    }

    private static float[] values(GGUFFile f, TensorInfo t) {
        float[] v = new float[Math.toIntExact(t.elementCount())];
        MemorySegment.copy(f.tensorData(t), ValueLayout.JAVA_FLOAT_UNALIGNED, 0, v, 0, v.length);
        return v;
    }

    private static double rmse(float[] x, GGUFFile f, TensorInfo t) {
        int cols = (int) t.shape()[0];
        long rowBytes = (long) cols / t.type().blockSize * t.type().blockBytes;
        float[] row = new float[cols];
        double se = 0;
        for (int r = 0; r < t.rows(); r++) {
            RowKernels.forType(t.type()).dequantize(f.tensorData(t), r * rowBytes, row, 0, cols);
            for (int i = 0; i < cols; i++) {
                double d = row[i] - x[r * cols + i];
                se += d * d;
            }
        }
        return Math.sqrt(se / x.length);
    }

    static Path root() {
        Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("conformance"))) p = p.getParent();
        if (p == null) throw new IllegalStateException("cannot find the repository root");
        return p;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            return "(no log)";
        }
    }
}
