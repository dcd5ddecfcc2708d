package dev.jemma.tensor;

/** The kernel of each stored type that Jemma can compute with. */
public final class RowKernels {
    private static final RowKernel[] BY_ID = new RowKernel[64];

    static {
        BY_ID[GGMLType.F32.id] = new F32Kernel();
        BY_ID[GGMLType.F16.id] = new F16Kernel();
        BY_ID[GGMLType.BF16.id] = new BF16Kernel();
        BY_ID[GGMLType.Q8_0.id] = new Q8_0Kernel();
        BY_ID[GGMLType.Q4_0.id] = new Q4_0Kernel();
        BY_ID[GGMLType.Q4_1.id] = new Q4_1Kernel();
        BY_ID[GGMLType.Q5_0.id] = new Q5_0Kernel();
        BY_ID[GGMLType.Q5_1.id] = new Q5_1Kernel();
        BY_ID[GGMLType.Q2_K.id] = new Q2_KKernel();
        BY_ID[GGMLType.Q3_K.id] = new Q3_KKernel();
        BY_ID[GGMLType.Q4_K.id] = new Q4_KKernel();
        BY_ID[GGMLType.Q5_K.id] = new Q5_KKernel();
        BY_ID[GGMLType.Q6_K.id] = new Q6_KKernel();
    }

    private RowKernels() {}

    /** The kernel for {@code type}; throws {@link UnsupportedTensorTypeException} for types Jemma cannot compute with. */
    public static RowKernel forType(GGMLType type) {
        RowKernel k = BY_ID[type.id];
        if (k == null) throw new UnsupportedTensorTypeException(type);
        return k;
    }
}
