package dev.jemma.bench;

import dev.jemma.tensor.WeightMatrix;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.TearDown;

/** A benchmark over one real tensor: {@code -p model=FILE.gguf -p tensor=NAME}. */
public abstract class TensorBench extends BenchDefaults {
    @Param("")
    public String model;
    @Param("token_embd.weight")
    public String tensor;

    Weights weights;
    WeightMatrix w;

    /** Opens the tensor; call first in the subclass's setup. */
    void openTensor() {
        weights = new Weights(model, tensor);
        w = weights.matrix;
    }

    @TearDown
    public void closeTensor() {
        if (weights != null) weights.close();
    }
}
