package dev.jemma.bench;

import dev.jemma.gguf.GGUFFile;
import dev.jemma.gguf.TensorInfo;
import dev.jemma.tensor.WeightMatrix;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** A real weight matrix from a GGUF file, so the kernels are measured on the data and types they run on. */
final class Weights implements AutoCloseable {
    final GGUFFile file;
    final WeightMatrix matrix;

    Weights(String model, String tensor) {
        if (model == null || model.isBlank()) throw new IllegalArgumentException("pass -p model=PATH (a GGUF file)");
        try {
            file = GGUFFile.open(Path.of(model));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TensorInfo t = file.tensor(tensor);
        long[] s = t.shape();
        if (s.length != 2) throw new IllegalArgumentException(tensor + " is not a matrix: " + t.shapeString());
        matrix = new WeightMatrix(tensor, t.type(), Math.toIntExact(s[1]), Math.toIntExact(s[0]), file.tensorData(t));
    }

    /** Bytes of the stored matrix: what one full pass over it reads. */
    long bytes() {
        return matrix.rowBytes * matrix.rows;
    }

    static float[] activations(int n, long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    @Override
    public void close() {
        file.close();
    }
}
