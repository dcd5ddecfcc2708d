package dev.jemma.adapter;

import dev.jemma.gguf.ModelFormatException;

/** An adapter file that is not a LoRA adapter for this base model, or is malformed. The message names the key or tensor. */
public class AdapterFormatException extends ModelFormatException {
    public AdapterFormatException(String message) {
        super(message);
    }
}
