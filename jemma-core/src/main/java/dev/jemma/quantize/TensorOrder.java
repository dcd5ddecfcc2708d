package dev.jemma.quantize;

import java.util.Comparator;

/**
 * The order llama.cpp's quantizer visits and writes tensors: by layer ({@code blk.N.}; other tensors count as
 * layer -1, so they come first), then by name. The mix rules count tensors in this order.
 */
public final class TensorOrder {
    private TensorOrder() {}

    public static final Comparator<String> BY_LAYER_THEN_NAME =
            Comparator.comparingInt(TensorOrder::layer).thenComparing(Comparator.naturalOrder());

    /** The N of a leading {@code blk.N.}, or -1. */
    static int layer(String name) {
        if (!name.startsWith("blk.")) return -1;
        int i = 4, v = 0;
        boolean neg = i < name.length() && name.charAt(i) == '-';
        if (neg || (i < name.length() && name.charAt(i) == '+')) i++;
        int start = i;
        while (i < name.length() && Character.isDigit(name.charAt(i)) && i - start < 9) v = v * 10 + (name.charAt(i++) - '0');
        if (i == start) return -1;
        return neg ? -v : v;
    }
}
