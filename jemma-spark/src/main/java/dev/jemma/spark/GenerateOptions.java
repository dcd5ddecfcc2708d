package dev.jemma.spark;

import dev.jemma.generate.SamplingParams;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What {@link JemmaSpark#generate} runs: the model and adapters, how a row becomes a prompt, sampling, and the
 * engine's size on each executor. Immutable and serializable (it travels to the executors with the job); every
 * {@code withX} returns a copy. Defaults are {@code jemma run}'s: chat template, Gemma's sampling, 512 new tokens.
 */
public final class GenerateOptions implements Serializable {
    private static final long serialVersionUID = 1L;

    /** A LoRA adapter file with its scale; {@code name} is null for one applied to every row. */
    public record Adapter(String name, String path, float scale) implements Serializable {
        public Adapter {
            Objects.requireNonNull(path, "adapter path");
            if (!Float.isFinite(scale)) throw new IllegalArgumentException("adapter scale must be finite, got " + scale);
        }
    }

    String modelPath;
    boolean shipFiles;
    List<Adapter> adapters = List.of();
    String adapterColumn;
    String promptColumn = "prompt";
    boolean chat = true;
    String system;
    float temperature = 1.0f;
    int topK = 64;
    float topP = 0.95f;
    float minP = 0f;
    float repeatPenalty = 1f;
    float presencePenalty = 0f;
    float frequencyPenalty = 0f;
    List<String> stop = List.of();
    int maxTokens = 512;
    Long seed;
    String seedColumn;
    String jsonSchema;
    int contextLength = 2048;
    String kvType = "f32";
    int slots = 8;
    int threads;
    int maxPromptChars = 1 << 20;
    int draftNgram;

    public static GenerateOptions model(String path) {
        GenerateOptions o = new GenerateOptions();
        o.modelPath = Objects.requireNonNull(path, "model path");
        return o;
    }

    private GenerateOptions copy() {
        GenerateOptions o = new GenerateOptions();
        o.modelPath = modelPath; o.shipFiles = shipFiles; o.adapters = adapters; o.adapterColumn = adapterColumn;
        o.promptColumn = promptColumn; o.chat = chat; o.system = system; o.temperature = temperature; o.topK = topK;
        o.topP = topP; o.minP = minP; o.repeatPenalty = repeatPenalty; o.presencePenalty = presencePenalty;
        o.frequencyPenalty = frequencyPenalty; o.stop = stop; o.maxTokens = maxTokens; o.seed = seed;
        o.seedColumn = seedColumn; o.jsonSchema = jsonSchema; o.contextLength = contextLength; o.kvType = kvType;
        o.slots = slots; o.threads = threads; o.maxPromptChars = maxPromptChars; o.draftNgram = draftNgram;
        return o;
    }

    /**
     * Ship the model (and adapter) files with the job ({@code SparkContext.addFile}) instead of expecting them at the
     * same path on every executor. Each executor copies them once into its work directory.
     */
    public GenerateOptions shipFiles(boolean b) { GenerateOptions o = copy(); o.shipFiles = b; return o; }

    /** An adapter applied to every row that names none (several add up, as {@code jemma run --lora}). */
    public GenerateOptions adapter(String path, float scale) {
        return withAdapter(new Adapter(null, path, scale));
    }

    /** A named adapter a row chooses through {@link #adapterColumn}; it replaces the every-row ones for that row. */
    public GenerateOptions adapter(String name, String path, float scale) {
        Objects.requireNonNull(name, "adapter name");
        for (Adapter a : adapters) {
            if (name.equals(a.name())) throw new IllegalArgumentException("adapter '" + name + "' is given twice");
        }
        return withAdapter(new Adapter(name, path, scale));
    }

    private GenerateOptions withAdapter(Adapter a) {
        GenerateOptions o = copy();
        List<Adapter> l = new ArrayList<>(adapters);
        l.add(a);
        o.adapters = List.copyOf(l);
        return o;
    }

    /** The string column naming each row's adapter (null in a row: the every-row adapters). */
    public GenerateOptions adapterColumn(String c) { GenerateOptions o = copy(); o.adapterColumn = c; return o; }

    /** The string column holding each row's prompt (default {@code prompt}). */
    public GenerateOptions promptColumn(String c) {
        GenerateOptions o = copy();
        o.promptColumn = Objects.requireNonNull(c, "prompt column");
        return o;
    }

    /** Chat template (default) or raw completion (BOS + the text). */
    public GenerateOptions chat(boolean b) { GenerateOptions o = copy(); o.chat = b; return o; }

    public GenerateOptions system(String s) { GenerateOptions o = copy(); o.system = s; return o; }

    public GenerateOptions temperature(float t) { GenerateOptions o = copy(); o.temperature = t; return o; }

    public GenerateOptions topK(int k) { GenerateOptions o = copy(); o.topK = k; return o; }

    public GenerateOptions topP(float p) { GenerateOptions o = copy(); o.topP = p; return o; }

    public GenerateOptions minP(float p) { GenerateOptions o = copy(); o.minP = p; return o; }

    public GenerateOptions penalties(float repeat, float presence, float frequency) {
        GenerateOptions o = copy();
        o.repeatPenalty = repeat; o.presencePenalty = presence; o.frequencyPenalty = frequency;
        return o;
    }

    /**
     * Sampling and stop settings as a {@link SamplingParams} gives them (temperature, top-k/p, min-p, penalties,
     * max tokens, stop strings); its seed is not taken: see {@link #seed}.
     */
    public GenerateOptions sampling(SamplingParams p) {
        GenerateOptions o = copy();
        o.temperature = p.temperature(); o.topK = p.topK(); o.topP = p.topP(); o.minP = p.minP();
        o.repeatPenalty = p.repetitionPenalty(); o.presencePenalty = p.presencePenalty();
        o.frequencyPenalty = p.frequencyPenalty(); o.maxTokens = p.maxTokens(); o.stop = List.copyOf(p.stop());
        return o;
    }

    public GenerateOptions stop(List<String> s) { GenerateOptions o = copy(); o.stop = List.copyOf(s); return o; }

    public GenerateOptions maxTokens(int n) { GenerateOptions o = copy(); o.maxTokens = n; return o; }

    /**
     * The job's seed. Each row samples with a seed made from it and the row's prompt and adapter, so a row's output
     * does not depend on its partition or on a retry. Unset, the driver draws one per job.
     */
    public GenerateOptions seed(long s) { GenerateOptions o = copy(); o.seed = s; return o; }

    /** A long column whose value is the row's own seed (null in a row: derived as for {@link #seed}). */
    public GenerateOptions seedColumn(String c) { GenerateOptions o = copy(); o.seedColumn = c; return o; }

    /** Constrain every completion to JSON valid for this JSON Schema; the output gains {@code completion_json}. */
    public GenerateOptions jsonSchema(String schema) { GenerateOptions o = copy(); o.jsonSchema = schema; return o; }

    /** Positions per sequence (prompt + completion), default 2048. */
    public GenerateOptions contextLength(int n) { GenerateOptions o = copy(); o.contextLength = n; return o; }

    /** KV cache storage: f32 (default), f16 or q8_0. */
    public GenerateOptions kvType(String t) { GenerateOptions o = copy(); o.kvType = t; return o; }

    /** Sequences each executor decodes together (default 8); each holds a KV cache of {@link #contextLength}. */
    public GenerateOptions slots(int n) { GenerateOptions o = copy(); o.slots = n; return o; }

    /**
     * Speculative decoding by prompt lookup over n-grams of up to {@code n} tokens (default 0: off): each row's
     * tokens stay exactly those without it (docs/SPECULATIVE.md), faster when answers copy from their prompts.
     */
    public GenerateOptions draftNgram(int n) { GenerateOptions o = copy(); o.draftNgram = n; return o; }

    /** Worker threads of each executor's engine (default 0: the executor's cores). */
    public GenerateOptions threads(int n) { GenerateOptions o = copy(); o.threads = n; return o; }

    /** Longer prompts (in characters) get an error in their row instead of being tokenized (default 1 Mi). */
    public GenerateOptions maxPromptChars(int n) { GenerateOptions o = copy(); o.maxPromptChars = n; return o; }

    public String modelPath() { return modelPath; }

    public List<Adapter> adapters() { return adapters; }

    public String promptColumn() { return promptColumn; }

    public String adapterColumn() { return adapterColumn; }

    public String seedColumn() { return seedColumn; }

    public String jsonSchema() { return jsonSchema; }

    public Long seed() { return seed; }

    public boolean shipFiles() { return shipFiles; }

    /** Every value in range, before any work starts (the driver calls it; a bad option is the caller's error). */
    void check() {
        if (modelPath == null || modelPath.isEmpty()) throw new IllegalArgumentException("a model path is required");
        if (!Float.isFinite(temperature) || temperature < 0) throw bad("temperature", temperature, "a finite number ≥ 0");
        if (topK < 0) throw bad("topK", topK, "≥ 0 (0 = off)");
        if (!(topP > 0 && topP <= 1)) throw bad("topP", topP, "in (0, 1]");
        if (!(minP >= 0 && minP <= 1)) throw bad("minP", minP, "in [0, 1]");
        if (maxTokens < 1) throw bad("maxTokens", maxTokens, "≥ 1");
        if (contextLength < 2) throw bad("contextLength", contextLength, "≥ 2");
        if (slots < 1 || slots > 256) throw bad("slots", slots, "in [1, 256]");
        if (draftNgram < 0) throw bad("draftNgram", draftNgram, "≥ 0");
        if (threads < 0) throw bad("threads", threads, "≥ 0 (0 = the executor's cores)");
        if (maxPromptChars < 1) throw bad("maxPromptChars", maxPromptChars, "≥ 1");
        try {
            dev.jemma.model.KVType.parse(kvType);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("kvType: " + e.getMessage(), e);
        }
        if (adapterColumn != null && adapters.stream().noneMatch(a -> a.name() != null)) {
            throw new IllegalArgumentException("adapterColumn '" + adapterColumn + "' is set but no named adapter is given");
        }
    }

    private static IllegalArgumentException bad(String name, Object v, String want) {
        return new IllegalArgumentException(name + " must be " + want + ", got " + v);
    }

    /** The part that decides which engine an executor loads (the rest varies per job without reloading). */
    EngineKey engineKey() {
        return new EngineKey(modelPath, adapters, contextLength, kvType, slots, threads, draftNgram);
    }

    record EngineKey(String modelPath, List<Adapter> adapters, int contextLength, String kvType, int slots, int threads,
                     int draftNgram) implements Serializable {}
}
