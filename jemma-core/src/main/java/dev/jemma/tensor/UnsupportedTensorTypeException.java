package dev.jemma.tensor;

import dev.jemma.JemmaException;

/** A tensor stored in a type Jemma has no kernel for (e.g. the IQ types). */
public final class UnsupportedTensorTypeException extends JemmaException {
    public UnsupportedTensorTypeException(GGMLType type) {
        super("tensor type " + type + " is not supported (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K)");
    }
}
