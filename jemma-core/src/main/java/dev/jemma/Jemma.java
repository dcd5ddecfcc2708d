package dev.jemma;

import dev.jemma.adapter.AdapterRegistry;
import dev.jemma.model.AvailableMemory;
import dev.jemma.model.LinearAdapter;
import dev.jemma.adapter.AdapterSum;
import dev.jemma.adapter.LoraAdapter;
import dev.jemma.generate.ContextConfig;
import dev.jemma.generate.Session;
import dev.jemma.model.KVType;
import dev.jemma.model.PrefixCache;
import dev.jemma.model.Gemma3Model;
import dev.jemma.model.GemmaConfig;
import dev.jemma.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Entry point of the library: a loaded model from which sessions are opened.
 * <pre>{@code
 * try (Jemma jemma = Jemma.builder().model(path).build();
 *      Session chat = jemma.newSession()) {
 *     chat.chat("Hello!", SamplingParams.GEMMA_DEFAULTS, System.out::print);
 * }
 * }</pre>
 * Thread-safety: a {@code Jemma} (and its model) is immutable and may be shared by any number of
 * threads; each {@link Session} belongs to one thread at a time. Forward passes of concurrent
 * sessions take turns on the model's worker pool. The adapter registry ({@link #adapters()}) is thread-safe:
 * adapters may be loaded and unloaded while sessions run (one in use cannot be unloaded).
 */
public final class Jemma implements AutoCloseable {
    private final Gemma3Model model;
    private final ContextConfig context;
    private final AdapterRegistry adapters;
    private final String defaultAdapter;
    private final dev.jemma.vision.VisionEngine vision;
    private final dev.jemma.generate.Speculation speculation;

    private Jemma(Gemma3Model model, ContextConfig context, AdapterRegistry adapters, String defaultAdapter,
                  dev.jemma.vision.VisionEngine vision, dev.jemma.generate.Speculation speculation) {
        this.vision = vision;
        this.speculation = speculation;
        this.model = model;
        this.context = context;
        this.adapters = adapters;
        this.defaultAdapter = defaultAdapter;
        PrefixCache prefixes = context.prefixCache();
        if (prefixes != null) adapters.onRetire(prefixes::forget); // an unloaded adapter's prefixes can never match again
    }

    public static Builder builder() {
        return new Builder();
    }

    public Gemma3Model model() {
        return model;
    }

    /** The vision tower ({@link Builder#mmproj}), or null: the model then takes no images. */
    public dev.jemma.vision.VisionEngine vision() {
        return vision;
    }

    /** Speculative decoding every new session and the server's requests use ({@link Builder#draftNgram}), or null. */
    public dev.jemma.generate.Speculation speculation() {
        return speculation;
    }

    public Tokenizer tokenizer() {
        return model.tokenizer;
    }

    /** The context settings new sessions get (length, KV type, truncation, the shared prefix cache). */
    public ContextConfig context() {
        return context;
    }

    /**
     * The named adapters over this model (llama.cpp LoRA files loaded with {@link Builder#adapter(String, Path, float)}
     * or at run time with {@link AdapterRegistry#load}); thread-safe.
     */
    public AdapterRegistry adapters() {
        return adapters;
    }

    /** The named adapter {@link #newSession()} and requests that name no model use, or null (the model as loaded). */
    public String defaultAdapter() {
        return defaultAdapter;
    }

    /**
     * A new session that runs with the named adapter (null: the bare base). The adapter cannot be unloaded while
     * the session is open.
     */
    public Session newSession(String adapter) {
        AdapterRegistry.Lease lease = adapter == null ? null : adapters.lease(adapter);
        try {
            Session s = new Session(model, context, lease == null ? LinearAdapter.NONE : lease.adapter(),
                    lease == null ? null : lease::close);
            s.speculation(speculation);
            return s;
        } catch (RuntimeException e) {
            if (lease != null) lease.close();
            throw e;
        }
    }

    /** A new session with the builder's context settings (and the default adapter, if any); close it to release its KV cache. */
    public Session newSession() {
        if (defaultAdapter != null) return newSession(defaultAdapter);
        Session s = new Session(model, context);
        s.speculation(speculation);
        return s;
    }

    public Session newSession(int contextLength) {
        Session s = new Session(model, new ContextConfig(contextLength, context.kvType(), context.truncateLeft(), context.prefixCache()));
        s.speculation(speculation);
        return s;
    }

    @Override
    public void close() {
        if (vision != null) vision.close();
        if (speculation != null && speculation.draftModel() != null) speculation.draftModel().close();
        model.close();
    }

    public static final class Builder {
        private Path model;
        private int threads = Runtime.getRuntime().availableProcessors();
        private dev.jemma.tensor.Kernels kernels = dev.jemma.tensor.Kernels.configured();
        private int contextLength = 0;
        private int defaultContextLength = Integer.MAX_VALUE;
        private KVType kvType = KVType.F32;
        private boolean truncateLeft;
        private long prefixCacheBytes = 256L << 20;
        private final List<Path> adapters = new ArrayList<>();
        private final List<Float> adapterScales = new ArrayList<>();
        private record Named(String name, Path path, float scale, float globalScale) {}
        private final List<Named> named = new ArrayList<>();
        private int draftNgram;
        private Path draftModel;
        private int draftMax = dev.jemma.generate.Speculation.DEFAULT_DRAFT_MAX;
        private float draftMinProbability = dev.jemma.generate.Speculation.DEFAULT_MIN_PROBABILITY;

        /**
         * Speculative decoding by prompt lookup over n-grams of up to {@code n} tokens (0: off, the default); the
         * tokens generated stay exactly those of plain decoding (see {@link dev.jemma.generate.Speculation}).
         */
        public Builder draftNgram(int n) {
            if (n < 0) throw new JemmaException("draft n-gram length must be ≥ 0, got " + n);
            this.draftNgram = n;
            return this;
        }

        /** Speculative decoding with this smaller Gemma 3 of the same vocabulary drafting (null: none). */
        public Builder draftModel(Path path) {
            this.draftModel = path;
            return this;
        }

        /** The most tokens drafted per pass (default 8). */
        public Builder draftMax(int n) {
            if (n < 1 || n > 64) throw new JemmaException("draft-max must be 1..64, got " + n);
            this.draftMax = n;
            return this;
        }

        /** A draft model proposes tokens while their probability is at least p (default 0.5). */
        public Builder draftMinProbability(float p) {
            if (!(p >= 0 && p <= 1)) throw new JemmaException("draft min probability must be 0..1, got " + p);
            this.draftMinProbability = p;
            return this;
        }
        private long adapterBytes = -1;
        private String defaultAdapter;
        private Path mmproj;

        /** A Gemma 3 mmproj GGUF (llama.cpp's layout): the vision tower that lets this model take images. */
        public Builder mmproj(Path path) {
            this.mmproj = path;
            return this;
        }

        public Builder model(Path path) {
            this.model = path;
            return this;
        }

        /**
         * The matrix kernels: {@code JAVA} (f32, transformers' numerics), {@code NATIVE} (8-bit activations and
         * integer dot products, llama.cpp's numerics; an error at {@link #build()} where the library cannot run) or
         * {@code AUTO} (native where available). Default: {@link dev.jemma.tensor.Kernels#configured()}.
         */
        public Builder kernels(dev.jemma.tensor.Kernels k) {
            this.kernels = Objects.requireNonNull(k, "kernels");
            return this;
        }

        public Builder threads(int n) {
            if (n < 1) throw new JemmaException("threads must be ≥ 1, got " + n);
            this.threads = n;
            return this;
        }

        /** The context when {@link #contextLength} is not given: this, capped at the model's trained maximum. */
        public Builder defaultContextLength(int n) {
            if (n < 1) throw new JemmaException("default context length must be ≥ 1, got " + n);
            this.defaultContextLength = n;
            return this;
        }

        /** Positions per session; 0 (default) means the model's trained maximum. */
        public Builder contextLength(int n) {
            if (n < 0) throw new JemmaException("context length must be ≥ 0, got " + n);
            this.contextLength = n;
            return this;
        }

        /** Storage of the KV cache: f32 (default), f16 or q8_0. */
        public Builder kvType(KVType t) {
            this.kvType = Objects.requireNonNull(t, "kvType");
            return this;
        }

        /** Cut prompts too long for the context from the left (keeping BOS) instead of refusing them. */
        public Builder truncateLeft(boolean b) {
            this.truncateLeft = b;
            return this;
        }

        /** Memory for prompt prefixes shared between sessions (default 256 MiB; 0 turns the cache off). */
        public Builder prefixCacheBytes(long bytes) {
            if (bytes < 0) throw new JemmaException("prefix cache bytes must be ≥ 0, got " + bytes);
            this.prefixCacheBytes = bytes;
            return this;
        }

        /**
         * A llama.cpp LoRA adapter GGUF applied to every session with factor {@code scale} (1 = as trained).
         * Repeatable: several adapters add up, as llama.cpp's repeated --lora.
         */
        public Builder adapter(Path path, float scale) {
            Objects.requireNonNull(path, "adapter path");
            if (!Float.isFinite(scale)) throw new JemmaException("adapter scale must be finite, got " + scale);
            adapters.add(path);
            adapterScales.add(scale);
            return this;
        }

        /**
         * A named adapter in the registry ({@link Jemma#adapters()}), used by sessions and requests that name it
         * ({@link Jemma#newSession(String)}) with factor {@code scale}; repeatable with other names.
         */
        public Builder adapter(String name, Path path, float scale) {
            return adapter(name, path, scale, 0f);
        }

        /**
         * As {@link #adapter(String, Path, float)}, also applied with factor {@code globalScale} to everything that
         * runs on the bare base through the registry's global set (llama-server's --lora; 0: not).
         */
        public Builder adapter(String name, Path path, float scale, float globalScale) {
            AdapterRegistry.checkName(name);
            Objects.requireNonNull(path, "adapter path");
            if (!Float.isFinite(scale) || !Float.isFinite(globalScale)) {
                throw new JemmaException("adapter scales must be finite, got " + scale + " and " + globalScale);
            }
            named.add(new Named(name, path, scale, globalScale));
            return this;
        }

        /** The named adapter (one given to {@link #adapter(String, Path, float)}) that {@link Jemma#newSession()} uses. */
        public Builder defaultAdapter(String name) {
            this.defaultAdapter = name;
            return this;
        }

        /** Memory the named adapters' weights may take together (default: a quarter of the memory available at build). */
        public Builder adapterMemory(long bytes) {
            if (bytes < 0) throw new JemmaException("adapter memory must be ≥ 0, got " + bytes);
            this.adapterBytes = bytes;
            return this;
        }

        /** The context length for this model: given, or the default capped at its trained maximum; checked. */
        private int resolveContextLength(GemmaConfig c) {
            return c.checkContextLength(contextLength != 0 ? contextLength : Math.min(defaultContextLength, c.contextLength()));
        }

        public Jemma build() {
            Objects.requireNonNull(model, "model path");
            try {
                // a bad length or a native choice this machine cannot run fails before the weights
                Gemma3Model m = Gemma3Model.load(model, threads, this::resolveContextLength, kernels);
                try {
                    List<LoraAdapter> loaded = new ArrayList<>();
                    for (int i = 0; i < adapters.size(); i++) {
                        loaded.add(LoraAdapter.read(adapters.get(i), m.config).withScale(adapterScales.get(i)));
                    }
                    m.adapter(AdapterSum.of(loaded));
                    int ctx = resolveContextLength(m.config);
                    PrefixCache prefixes = prefixCacheBytes > 0 ? new PrefixCache(m.config, kvType, prefixCacheBytes, 32) : null;
                    AdapterRegistry registry = new AdapterRegistry(m.config,
                            adapterBytes >= 0 ? adapterBytes : AvailableMemory.bytes() / 4);
                    for (Named a : named) registry.load(a.name(), a.path(), a.scale(), a.globalScale());
                    if (defaultAdapter != null && registry.find(defaultAdapter) == null) {
                        throw new JemmaException("the default adapter '" + defaultAdapter + "' is not one of the named adapters");
                    }
                    dev.jemma.vision.VisionEngine v = mmproj == null ? null : dev.jemma.vision.VisionEngine.open(mmproj, m, threads);
                    dev.jemma.generate.Speculation spec = null;
                    if (draftNgram > 0 || draftModel != null) {
                        Gemma3Model d = draftModel == null ? null : Gemma3Model.load(draftModel, threads, c -> { }, kernels);
                        try {
                            spec = new dev.jemma.generate.Speculation(draftNgram, d, draftMax, draftMinProbability);
                            spec.check(m); // the vocabularies must agree
                        } catch (RuntimeException e) {
                            if (d != null) d.close();
                            if (v != null) v.close();
                            throw e instanceof IllegalArgumentException ? new JemmaException(e.getMessage()) : e;
                        }
                    }
                    return new Jemma(m, new ContextConfig(ctx, kvType, truncateLeft, prefixes), registry, defaultAdapter, v, spec);
                } catch (RuntimeException | IOException e) {
                    m.close();
                    throw e;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read model " + model + " or its adapters: " + e.getMessage(), e);
            }
        }
    }
}
