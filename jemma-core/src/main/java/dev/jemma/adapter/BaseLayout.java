package dev.jemma.adapter;

import dev.jemma.model.GemmaConfig;
import dev.jemma.model.Projection;

/** Where a projection lives in a Gemma 3 GGUF (llama.cpp's tensor names) and how many inputs and outputs it has. */
public final class BaseLayout {
    private BaseLayout() {}

    /** llama.cpp's name of the projection's weight in a layer: attn_q, attn_k, attn_v, attn_output, ffn_gate, ffn_up, ffn_down. */
    public static String role(Projection p) {
        return switch (p) {
            case Q -> "attn_q";
            case K -> "attn_k";
            case V -> "attn_v";
            case O -> "attn_output";
            case GATE -> "ffn_gate";
            case UP -> "ffn_up";
            case DOWN -> "ffn_down";
        };
    }

    /** The projection with this llama.cpp role name, or null. */
    public static Projection fromRole(String role) {
        for (Projection p : Projection.values()) if (role(p).equals(role)) return p;
        return null;
    }

    public static String weightName(int layer, Projection p) {
        return "blk." + layer + "." + role(p) + ".weight";
    }

    public static int inputs(GemmaConfig c, Projection p) {
        return switch (p) {
            case Q, K, V, GATE, UP -> c.hidden();
            case O -> c.qDim();
            case DOWN -> c.ffn();
        };
    }

    public static int outputs(GemmaConfig c, Projection p) {
        return switch (p) {
            case Q -> c.qDim();
            case K, V -> c.kvDim();
            case O, DOWN -> c.hidden();
            case GATE, UP -> c.ffn();
        };
    }
}
