package dev.jemma.model;

/** The seven linear layers of a Gemma 3 decoder layer, named as in transformers' modeling_gemma3.py. */
public enum Projection {
    Q, K, V, O, GATE, UP, DOWN
}
