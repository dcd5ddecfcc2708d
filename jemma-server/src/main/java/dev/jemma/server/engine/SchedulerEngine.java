package dev.jemma.server.engine;

import dev.jemma.Jemma;
import dev.jemma.batch.BatchConfig;
import dev.jemma.batch.BatchMetrics;
import dev.jemma.batch.BatchScheduler;
import dev.jemma.batch.GenerationRequest;
import dev.jemma.batch.StreamListener;
import dev.jemma.batch.Ticket;
import dev.jemma.generate.ChatTemplate;
import dev.jemma.gguf.TensorInfo;
import dev.jemma.model.Gemma3Model;
import dev.jemma.tokenizer.Tokenizer;

/**
 * The engine over one loaded model shared by continuous batching ({@link BatchScheduler}); its adapters (the
 * model's registry) are served as model ids of their own, batched together with the base.
 */
public final class SchedulerEngine implements Engine {
    private final Jemma jemma;
    private final boolean ownsModel;
    private final BatchScheduler scheduler;
    private final ChatTemplate template;
    private final ModelInfo info;
    private final ServedModels models;

    /**
     * @param alias     the model's name in the API, or null for the file name
     * @param ownsModel false: closing the engine leaves the model open (tests share one model between servers)
     */
    public SchedulerEngine(Jemma jemma, int slots, int queue, String alias, boolean ownsModel) {
        var context = jemma.context();
        Gemma3Model model = jemma.model();
        this.scheduler = new BatchScheduler(model, new BatchConfig(slots, queue, context.contextLength(), context.kvType(),
                context.prefixCache(), jemma.speculation()));
        this.template = new ChatTemplate(model.tokenizer);
        this.info = describe(model, context.contextLength(), alias);
        this.models = new ServedModels(info, jemma.adapters(), jemma.defaultAdapter());
        this.jemma = jemma;
        this.ownsModel = ownsModel;
    }

    private static ModelInfo describe(Gemma3Model model, int ctx, String alias) {
        String fileName = model.file.path().getFileName().toString();
        String base = fileName.endsWith(".gguf") ? fileName.substring(0, fileName.length() - 5) : fileName;
        long parameters = 0;
        for (TensorInfo t : model.file.tensors()) parameters += t.elementCount();
        var c = model.config;
        return new ModelInfo(alias != null ? alias : base, fileName, model.file.fileSize(), ctx, c.contextLength(),
                parameters, System.currentTimeMillis() / 1000, c.hidden(), c.layers(), c.heads(), c.kvHeads(), c.slidingWindow());
    }

    @Override
    public ModelInfo model() {
        return info;
    }

    @Override
    public ServedModels models() {
        return models;
    }

    @Override
    public Tokenizer tokenizer() {
        return jemma.model().tokenizer;
    }

    @Override
    public dev.jemma.vision.VisionEngine vision() {
        return jemma.vision();
    }

    @Override
    public ChatTemplate chatTemplate() {
        return template;
    }

    @Override
    public Ticket submit(GenerationRequest request, StreamListener listener) {
        return scheduler.submit(request, listener);
    }

    @Override
    public BatchMetrics metrics() {
        return scheduler.metrics();
    }

    @Override
    public long prefixCacheBytes() {
        var cache = jemma.context().prefixCache();
        return cache == null ? -1 : cache.bytes();
    }

    @Override
    public void close() {
        scheduler.close();
        if (ownsModel) jemma.close();
    }
}
