package dev.jemma.server;

import dev.jemma.Jemma;
import dev.jemma.batch.BatchConfig;
import dev.jemma.batch.BatchScheduler;
import dev.jemma.generate.ChatTemplate;
import dev.jemma.gguf.TensorInfo;
import dev.jemma.model.Gemma3Model;
import dev.jemma.tokenizer.Tokenizer;

import java.util.Locale;

/** The loaded model as the API presents it: its names, its scheduler and facts clients ask about. */
final class ServedModel implements AutoCloseable {
    final Jemma jemma;
    final Gemma3Model model;
    final Tokenizer tok;
    final ChatTemplate template;
    final BatchScheduler scheduler;
    final String id;
    final String fileName;
    final int ctx;
    final long parameters;
    final long created = System.currentTimeMillis() / 1000;

    private final boolean ownsModel;

    ServedModel(Jemma jemma, ServerConfig config, boolean ownsModel) {
        this.jemma = jemma;
        this.ownsModel = ownsModel;
        this.model = jemma.model();
        this.tok = model.tokenizer;
        this.template = new ChatTemplate(tok);
        this.ctx = jemma.context().contextLength();
        this.scheduler = new BatchScheduler(model, new BatchConfig(config.slots(), config.queue(), ctx,
                jemma.context().kvType(), jemma.context().prefixCache()));
        this.fileName = model.file.path().getFileName().toString();
        String base = fileName.endsWith(".gguf") ? fileName.substring(0, fileName.length() - 5) : fileName;
        this.id = config.alias() != null ? config.alias() : base;
        long n = 0;
        for (TensorInfo t : model.file.tensors()) n += t.elementCount();
        this.parameters = n;
    }

    /** True for the names clients may use for this model: the id, the file name, and Ollama's ":latest" form. */
    boolean answersTo(String name) {
        if (name == null || name.isEmpty()) return true;
        String n = name.endsWith(":latest") ? name.substring(0, name.length() - 7) : name;
        return n.equals(id) || n.equals(fileName) || (fileName.endsWith(".gguf") && n.equals(fileName.substring(0, fileName.length() - 5)));
    }

    void checkModel(String requested) {
        if (!answersTo(requested)) throw ApiException.modelNotFound(requested);
    }

    /** "268M", "1.0B": Ollama's parameter_size. */
    String parameterSize() {
        return parameters >= 1_000_000_000L ? String.format(Locale.ROOT, "%.1fB", parameters / 1e9)
                : String.format(Locale.ROOT, "%dM", Math.round(parameters / 1e6));
    }

    /** The quantisation named in the file name (Q4_K_M ...), else "unknown". */
    String quantization() {
        var m = java.util.regex.Pattern.compile("(?i)(q\\d_k_[sml]|q\\d_k|q\\d_\\d|iq\\d_\\w+|f16|bf16|f32)").matcher(fileName);
        String q = null;
        while (m.find()) q = m.group(1);
        return q == null ? "unknown" : q.toUpperCase(Locale.ROOT);
    }

    @Override
    public void close() {
        scheduler.close();
        if (ownsModel) jemma.close();
    }
}
