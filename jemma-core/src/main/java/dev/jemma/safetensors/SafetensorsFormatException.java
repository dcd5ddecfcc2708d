package dev.jemma.safetensors;

import dev.jemma.gguf.ModelFormatException;

import java.nio.file.Path;

/**
 * A safetensors file or Hugging Face weights folder that is malformed, inconsistent or unsupported. The
 * message names the file and, where one is involved, the tensor. It is a {@link ModelFormatException}, so
 * code that already reports bad model files (the CLI, the server) reports these the same way.
 */
public class SafetensorsFormatException extends ModelFormatException {
    private final transient Path file;
    private final String tensor;

    public SafetensorsFormatException(Path file, String tensor, String message) {
        this(file, tensor, message, null);
    }

    public SafetensorsFormatException(Path file, String tensor, String message, Throwable cause) {
        super(describe(file, tensor, message), cause);
        this.file = file;
        this.tensor = tensor;
    }

    /** The file at fault (a shard, an index, or the folder when no file could be chosen). */
    public Path file() {
        return file;
    }

    /** The tensor at fault, or null when the error is not about one tensor. */
    public String tensor() {
        return tensor;
    }

    private static String describe(Path file, String tensor, String message) {
        StringBuilder s = new StringBuilder();
        s.append(file).append(": ");
        if (tensor != null) s.append("tensor '").append(printable(tensor)).append("': ");
        return s.append(message).toString();
    }

    /** A name from the file as it goes into a message: control characters escaped, at most 200 characters. */
    static String printable(String name) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < name.length() && s.length() < 200; i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c == 0x7F) s.append(String.format("\\u%04x", (int) c));
            else s.append(c);
        }
        if (s.length() >= 200 && name.length() > 200) s.append("…");
        return s.toString();
    }
}
