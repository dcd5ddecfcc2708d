package dev.jemma.quantize;

import dev.jemma.JemmaException;

/** A quantization that cannot run as asked: the message names the file, the tensor and what to change. */
public class QuantizeException extends JemmaException {
    public QuantizeException(String message) {
        super(message);
    }

    public QuantizeException(String message, Throwable cause) {
        super(message, cause);
    }
}
