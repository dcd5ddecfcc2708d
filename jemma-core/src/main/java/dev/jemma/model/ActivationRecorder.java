package dev.jemma.model;

import dev.jemma.tensor.Rows;

/**
 * Receives the intermediate values a backward pass needs, when one is attached to a {@link ForwardBatch}; a
 * pass without one computes and keeps nothing extra. Called on the forward pass's thread with views of the
 * batch's rows (all segments), valid only during the call: copy what is needed.
 */
public interface ActivationRecorder {
    /** Where in a layer a value is taken; {@code layer} is -1 for {@link #OUTPUT_HIDDEN}. */
    enum Stage {
        /** the residual stream entering the layer (also the embeddings, at layer 0) */
        LAYER_INPUT,
        /** input of q/k/v: the attention pre-norm's output */
        ATTENTION_NORMED,
        /** q, k and v after the projections (and adapters), before QK-norm and RoPE */
        Q, K, V,
        /** input of the output projection: attention's weighted values, all heads */
        ATTENTION_OUTPUT,
        /** the output projection's result (and adapter), before the post-attention norm */
        ATTENTION_PROJECTED,
        /** the residual stream after the attention block */
        FFN_INPUT,
        /** input of gate/up: the FFN pre-norm's output */
        FFN_NORMED,
        /** gate and up projections before the activation */
        GATE, UP,
        /** input of the down projection: gelu_tanh(gate) · up */
        FFN_ACTIVATION,
        /** the down projection's result (and adapter), before the post-FFN norm */
        FFN_OUTPUT,
        /** final-normed hidden state, the input of the output head */
        OUTPUT_HIDDEN
    }

    void record(int layer, Stage stage, Rows values, int rows, int width);
}
