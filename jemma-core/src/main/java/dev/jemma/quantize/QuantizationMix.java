package dev.jemma.quantize;

import dev.jemma.tensor.GGMLType;

import java.util.Locale;

/**
 * A file type as llama-quantize names it: the type most tensors get and, for the _S/_M/_L mixes, the rules that
 * give some tensors more bits ({@link TensorTypeRules}). {@code fileType} is llama.cpp's {@code llama_ftype}, stored
 * as {@code general.file_type}.
 */
public enum QuantizationMix {
    F32(0, GGMLType.F32),
    F16(1, GGMLType.F16),
    BF16(32, GGMLType.BF16),
    Q8_0(7, GGMLType.Q8_0),
    Q4_0(2, GGMLType.Q4_0),
    Q4_1(3, GGMLType.Q4_1),
    Q5_0(8, GGMLType.Q5_0),
    Q5_1(9, GGMLType.Q5_1),
    Q2_K(10, GGMLType.Q2_K),
    Q2_K_S(21, GGMLType.Q2_K),
    Q3_K_S(11, GGMLType.Q3_K),
    Q3_K_M(12, GGMLType.Q3_K),
    Q3_K_L(13, GGMLType.Q3_K),
    Q4_K_S(14, GGMLType.Q4_K),
    Q4_K_M(15, GGMLType.Q4_K),
    Q5_K_S(16, GGMLType.Q5_K),
    Q5_K_M(17, GGMLType.Q5_K),
    Q6_K(18, GGMLType.Q6_K);

    public final int fileType;
    public final GGMLType defaultType;

    QuantizationMix(int fileType, GGMLType defaultType) {
        this.fileType = fileType;
        this.defaultType = defaultType;
    }

    /** Whether the default type is a block-quantized one (then the per-tensor rules apply). */
    public boolean quantized() {
        return defaultType != GGMLType.F32 && defaultType != GGMLType.F16 && defaultType != GGMLType.BF16;
    }

    /** Parses a name ({@code q4_k_m}, case-insensitive; {@code Q4_K} means Q4_K_M and {@code Q3_K} Q3_K_M, as in llama-quantize) or a file-type number. */
    public static QuantizationMix parse(String s) {
        String u = s.trim().toUpperCase(Locale.ROOT);
        if (u.equals("Q4_K")) return Q4_K_M;
        if (u.equals("Q5_K")) return Q5_K_M;
        if (u.equals("Q3_K")) return Q3_K_M;
        for (QuantizationMix m : values()) {
            if (m.name().equals(u) || String.valueOf(m.fileType).equals(u)) return m;
        }
        throw new IllegalArgumentException("unknown quantization type '" + s + "'; known: " + names());
    }

    public static String names() {
        StringBuilder b = new StringBuilder();
        for (QuantizationMix m : values()) b.append(b.isEmpty() ? "" : ", ").append(m.name());
        return b.toString();
    }
}
