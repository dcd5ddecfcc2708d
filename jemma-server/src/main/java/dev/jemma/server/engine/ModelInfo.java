package dev.jemma.server.engine;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The served model as the APIs describe it.
 *
 * @param id                   the name in the API (the alias, or the file name without .gguf)
 * @param fileName             the GGUF file name
 * @param fileSize             its size in bytes
 * @param contextLength        positions per request on this server (prompt + answer)
 * @param trainedContextLength the model's own maximum
 * @param parameters           parameter count
 * @param created              load time, epoch seconds
 */
public record ModelInfo(String id, String fileName, long fileSize, int contextLength, int trainedContextLength,
                        long parameters, long created, int embeddingLength, int blockCount, int headCount,
                        int headCountKv, int slidingWindow) {
    private static final Pattern QUANT = Pattern.compile("(?i)(q\\d_k_[sml]|q\\d_k|q\\d_\\d|iq\\d_\\w+|f16|bf16|f32)");

    /** True for the names clients may use for this model: the id, the file name, and Ollama's ":latest" form. */
    public boolean answersTo(String name) {
        if (name == null || name.isEmpty()) return true;
        String n = name.endsWith(":latest") ? name.substring(0, name.length() - 7) : name;
        return n.equals(id) || n.equals(fileName) || (fileName.endsWith(".gguf") && n.equals(fileName.substring(0, fileName.length() - 5)));
    }

    /** "268M", "1.0B": Ollama's parameter_size. */
    public String parameterSize() {
        return parameters >= 1_000_000_000L ? String.format(Locale.ROOT, "%.1fB", parameters / 1e9)
                : String.format(Locale.ROOT, "%dM", Math.round(parameters / 1e6));
    }

    /** The quantisation named in the file name (Q4_K_M ...), else "unknown". */
    public String quantization() {
        Matcher m = QUANT.matcher(fileName);
        String q = null;
        while (m.find()) q = m.group(1);
        return q == null ? "unknown" : q.toUpperCase(Locale.ROOT);
    }
}
