package dev.jemma.tensor;

/** How a matrix product forms its sums. */
public enum Arithmetic {
    /**
     * The fastest kernel for the number of tokens: up to four the fused dequantize-and-dot kernels (as DECODE), 8 or
     * more the token tile.
     * A token's result may differ in the last bits with the number of tokens in the product.
     */
    FAST,
    /**
     * Every token goes through the same dequantize-then-dot arithmetic whatever the number of tokens (one
     * included), so a row's result never depends on what it is batched with or how a prompt is chunked.
     */
    BATCH_INVARIANT,
    /**
     * Every token exactly as FAST computes a lone token (the fused dequantize-and-dot kernels), with each weight
     * block decoded once for all the tokens of the product. A speculative run verifies its drafts with it, so its
     * tokens equal those of plain FAST decoding to the bit.
     */
    DECODE
}
