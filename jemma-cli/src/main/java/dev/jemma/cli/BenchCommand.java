package dev.jemma.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jemma.JemmaException;
import dev.jemma.gguf.GGUFFile;
import dev.jemma.model.Gemma3Model;
import dev.jemma.tokenizer.Tokenizer;
import dev.jemma.model.ForwardBatch;
import dev.jemma.model.InferenceState;
import dev.jemma.model.KVType;
import dev.jemma.model.GemmaConfig;
import dev.jemma.model.LinearAdapter;
import dev.jemma.model.Projection;
import dev.jemma.adapter.LoraAdapter;
import dev.jemma.tensor.Arithmetic;
import dev.jemma.generate.SamplingParams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * Prompt processing (pp) and generation (tg) speed, measured like llama.cpp's llama-bench: pp runs P
 * tokens through an empty context in chunks; tg runs N tokens one at a time, each with its logits, as
 * generation does. One untimed warm-up of each comes first (at most 512 tokens: it is for the JIT and the
 * page cache). -p and -n take comma-separated lists. Token ids are random (speed does not depend on them).
 */
@Command(name = "bench", description = "Prompt-processing and generation speed (tokens/s), like llama-bench.")
final class BenchCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Mixin LoraOptions lora;
    @Option(names = {"-p", "--n-prompt"}, split = ",", description = "prompt tokens, comma-separated (default: 512; 0 = skip)")
    List<Integer> prompts = List.of(512);
    @Option(names = {"-n", "--n-gen"}, split = ",", description = "generated tokens, comma-separated (default: 128; 0 = skip)")
    List<Integer> gens = List.of(128);
    @Option(names = {"-d", "--depth"}, description = "positions already in the context (prefilled, untimed) before each test (default: 0)")
    int depth;
    @Option(names = {"-b", "--batch"}, split = ",", description = "with -n: sequences decoded together in one batched step, comma-separated; "
            + "t/s is then the aggregate (default: 1, the single-sequence path)")
    List<Integer> batches = List.of(1);
    @Mixin ContextOptions context;
    @Mixin SpeculationOptions speculation;
    @Mixin ChatAdapterOptions chatAdapter;
    @Option(names = "--prompts", paramLabel = "FILE", description = "with --draft-ngram/--draft-model: answer each line of FILE (a chat prompt) "
            + "with and without drafts (greedy, -n tokens at most, -r timed rounds) and compare decode tokens/s; "
            + "the default model runs with its chat adapter, as jemma run does")
    Path promptsFile;
    @Option(names = "--raw", description = "with --prompts: each line is a raw completion, not a chat turn")
    boolean raw;
    @Option(names = "--verify-rows", split = ",", paramLabel = "K", description = "measure only speculative decoding's verification "
            + "passes: K rows at once after a 200-token prompt, computed as lone decode steps (DECODE arithmetic), comma-separated; "
            + "rows/s (ms per pass = K / rows/s)")
    List<Integer> verifyRows = List.of();
    @Option(names = "--adapters", split = ",", description = "with -n: K random LoRA adapters (seeded), one per sequence in turn, as a "
            + "server serving K specialists on one base would; comma-separated counts are measured in turn, repetition by "
            + "repetition, so a noisy machine's drift falls on all of them alike (default: 0, none)")
    List<Integer> adapters = List.of(0);
    @Option(names = "--adapter-rank", description = "rank of the --adapters (default: ${DEFAULT-VALUE}; all seven projections)")
    int adapterRank = 16;
    @Option(names = {"-r", "--repetitions"}, description = "timed repetitions (default: ${DEFAULT-VALUE})")
    int reps = 5;
    @Option(names = "--tokenize", paramLabel = "FILE", description = "measure only the tokenizer: encode this UTF-8 file on one thread (MB/s)")
    Path tokenizeFile;
    @Option(names = "--tokenizer", paramLabel = "JSON", description = "with --tokenize: a Hugging Face tokenizer.json instead of the model's GGUF tokenizer")
    Path tokenizerJson;
    @Option(names = "--json-schema", paramLabel = "FILE", split = ",", description = "measure what constrained decoding adds per token "
            + "under these JSON Schemas (chat prompts, temperature 1, -r seeds each, -n tokens at most)")
    List<Path> schemas = List.of();
    @Option(names = "--json", description = "print a JSON array")
    boolean json;

    private int benchVerify() throws Exception {
        if (verifyRows.stream().anyMatch(k -> k < 1 || k > 64)) throw new JemmaException("--verify-rows must be in [1, 64]");
        try (Gemma3Model m = model.load(lora)) {
            int prompt = 200, vocab = m.vocabRows();
            int[] tokens = new SplittableRandom(42).ints(prompt + 64, 0, Math.min(vocab, m.tokenizer.vocabularySize())).toArray();
            float[] logits = new float[vocab];
            List<Case> cases = new ArrayList<>();
            for (int k : verifyRows) {
                cases.add(new Case("verify" + k, 16 * k, n -> {
                    try (InferenceState s = m.newState(prompt + 64 + 1, context.kvType())) {
                        m.forward(s, tokens, 0, prompt, logits, false);
                        float[] all = new float[k * vocab];
                        long t0 = System.nanoTime();
                        for (int i = 0; i < n / k; i++) {
                            m.forward(s, tokens, prompt, k, all, true, Arithmetic.DECODE);
                            s.rewind(prompt);
                        }
                        return t0;
                    }
                }));
            }
            List<Map<String, Object>> rows = measureInTurn(m, cases);
            if (json) System.out.println(new ObjectMapper().writeValueAsString(rows));
            else for (Map<String, Object> r : rows) System.out.println(r);
        }
        return 0;
    }

    private int benchSpeculative(int maxTokens) throws Exception {
        if (!speculation.enabled()) throw new JemmaException("--prompts needs --draft-ngram or --draft-model");
        List<String> lines = java.util.Arrays.stream(InputFiles.text("--prompts", promptsFile).split("\n"))
                .map(String::strip).filter(x -> !x.isEmpty()).map(x -> x.replace("\\n", "\n")).toList();
        if (lines.isEmpty()) throw new JemmaException("--prompts " + promptsFile + " has no prompts");
        try (Gemma3Model m = model.load(c -> { }, lora, chatAdapter); SpeculationOptions drafts = speculation) {
            var rows = SpeculativeBench.run(m, lines, drafts.open(m, model.threads()), SamplingParams.greedy(maxTokens), raw, reps,
                    context.contextLength(m.config, 4096));
            if (json) System.out.println(new ObjectMapper().writeValueAsString(rows));
            else for (Map<String, Object> r : rows) System.out.println(r);
        }
        return 0;
    }

    @Override
    public Integer call() throws Exception {
        List<Integer> p = prompts.stream().filter(x -> x != 0).toList();
        List<Integer> g = gens.stream().filter(x -> x != 0).toList();
        if (p.stream().anyMatch(x -> x < 0) || g.stream().anyMatch(x -> x < 0) || reps < 1 || p.size() + g.size() == 0) {
            throw new JemmaException("-p and -n must be ≥ 0 (not all 0) and -r ≥ 1");
        }
        context.checkFlags();
        KVType kv = context.kvType();
        if (tokenizeFile != null) return benchTokenizer();
        speculation.checkFlags();
        if (promptsFile != null) return benchSpeculative(g.isEmpty() ? 128 : g.get(0));
        if (!verifyRows.isEmpty()) return benchVerify();
        if (!schemas.isEmpty()) {
            try (Gemma3Model m = model.load(lora)) {
                Map<String, Object> r = ConstrainedDecodeBench.run(m, schemas, reps, g.isEmpty() ? 64 : g.get(0));
                System.out.println(json ? new ObjectMapper().writeValueAsString(List.of(r)) : r.toString().replace(", ", "\n"));
            }
            return 0;
        }
        try (Gemma3Model m = model.load(lora)) {
            int longest = Math.max(p.stream().max(Integer::compare).orElse(0), g.stream().max(Integer::compare).orElse(0));
            if (depth < 0) throw new JemmaException("-d must be ≥ 0");
            int ctx = depth + longest + 1;
            if (ctx > context.contextLength(m.config, ctx)) {
                throw new JemmaException("-d, -p and -n need a context of " + ctx + " tokens, more than --ctx " + context.ctx);
            }
            int[] tokens = new SplittableRandom(42).ints(ctx, 0, Math.min(m.vocabRows(), m.tokenizer.vocabularySize())).toArray();
            if (adapters.stream().anyMatch(k -> k < 0 || k > 256) || adapterRank < 1 || adapterRank > 512) {
                throw new JemmaException("--adapters must be in [0, 256] and --adapter-rank in [1, 512]");
            }
            LinearAdapter[] pool = randomAdapters(m.config, adapters.stream().max(Integer::compare).orElse(0), adapterRank);
            float[] logits = new float[m.vocabRows()];
            List<Map<String, Object>> rows = new ArrayList<>();
            for (int prompt : p) {
                rows.add(measure(m, "pp" + prompt + at(), prompt, n -> {
                    try (InferenceState s = m.newState(depth + n + 1, kv)) {
                        long t0 = prefillDepth(m, s, tokens, logits);
                        m.forward(s, tokens, depth, n, logits, false);
                        return t0;
                    }
                }));
            }
            if (batches.stream().anyMatch(b -> b < 1 || b > 256)) throw new JemmaException("-b must be in [1, 256]");
            boolean batched = !batches.equals(List.of(1));
            for (int gen : g) {
                List<Case> cases = new ArrayList<>();
                for (int k : adapters) {
                    LinearAdapter[] specialists = Arrays.copyOf(pool, k);
                    if (batched) {
                        for (int b : batches) {
                            cases.add(new Case("tg" + gen + at() + " x" + b + adapterLabel(k), gen * b,
                                    n -> decodeBatched(m, kv, tokens, b, n / b, specialists)));
                        }
                        continue;
                    }
                    cases.add(new Case("tg" + gen + at() + adapterLabel(k), gen, n -> {
                        try (InferenceState s = m.newState(depth + n + 1, kv)) {
                            if (specialists.length > 0) s.useAdapter(specialists[0]);
                            long t0 = prefillDepth(m, s, tokens, logits);
                            for (int i = 0; i < n; i++) m.forward(s, tokens, depth + i, 1, logits, false);
                            return t0;
                        }
                    }));
                }
                rows.addAll(measureInTurn(m, cases));
            }
            long rss = peakRssBytes();
            if (json) {
                for (Map<String, Object> r : rows) {
                    r.put("kv_type", kv.id());
                    r.put("kernels", m.kernels().describe());
                    r.put("peak_rss_bytes", rss);
                }
                System.out.println(new ObjectMapper().writeValueAsString(rows));
            } else {
                System.out.printf("%-16s %8s %6s %12s %12s %12s%n", "test", "threads", "reps", "t/s median", "t/s min", "t/s max");
                for (Map<String, Object> r : rows) {
                    System.out.printf("%-16s %8d %6d %12.2f %12.2f %12.2f%n", r.get("test"), r.get("threads"), r.get("repetitions"),
                            r.get("tokens_per_second_median"), r.get("tokens_per_second_min"), r.get("tokens_per_second_max"));
                }
                System.out.printf("peak RSS %.1f MiB (kv %s, %s kernels)%n", rss / 1048576.0, kv.id(), m.kernels().describe());
            }
        }
        return 0;
    }

    /** b sequences decoding in lock step through the batched, batch-invariant path; returns when timing starts. */
    private long decodeBatched(Gemma3Model m, KVType kv, int[] tokens, int b, int n, LinearAdapter[] specialists) {
        InferenceState[] states = new InferenceState[b];
        try {
            float[] out = new float[b * m.vocabRows()];
            float[] logits = new float[m.vocabRows()];
            for (int i = 0; i < b; i++) {
                states[i] = m.newState(depth + n + 1, kv);
                if (specialists.length > 0) states[i].useAdapter(specialists[i % specialists.length]);
                prefillDepth(m, states[i], tokens, logits);
            }
            ForwardBatch batch = new ForwardBatch();
            long t0 = System.nanoTime();
            for (int t = 0; t < n; t++) {
                batch.clear();
                batch.arithmetic(Arithmetic.BATCH_INVARIANT);
                batch.logits(out);
                for (int i = 0; i < b; i++) batch.add(states[i], tokens[(depth + t + 7 * i) % tokens.length], ForwardBatch.Logits.LAST);
                m.forward(batch);
            }
            return t0;
        } finally {
            for (InferenceState s : states) if (s != null) s.close();
        }
    }

    private String adapterLabel(int k) {
        return k == 0 ? "" : " lora" + k + "r" + adapterRank;
    }

    /** One timed test: its name, its tokens, its body. */
    record Case(String test, int tokens, Body run) {}

    /**
     * Several tests measured in turn: each warmed up once, then repetition i of every test before repetition i + 1
     * of any, so slow drifts of the machine (other tenants, clocks) fall on all of them alike.
     */
    private List<Map<String, Object>> measureInTurn(Gemma3Model m, List<Case> cases) {
        // warm-up: JIT and page cache (with a depth, its prefill warms up)
        if (depth == 0) for (Case c : cases) c.run().run(Math.min(c.tokens(), 512));
        double[][] tps = new double[cases.size()][reps];
        for (int i = 0; i < reps; i++) {
            for (int j = 0; j < cases.size(); j++) {
                Case c = cases.get(j);
                long t0 = c.run().run(c.tokens());
                tps[j][i] = c.tokens() / ((System.nanoTime() - t0) / 1e9);
                Log.info(String.format("%s repetition %d/%d: %.2f t/s", c.test(), i + 1, reps, tps[j][i]));
            }
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (int j = 0; j < cases.size(); j++) out.add(row(m, cases.get(j).test(), tps[j]));
        return out;
    }

    /**
     * k random adapters for the base, as a server would hold them (read from files: B also kept transposed); speed
     * does not depend on the values.
     */
    private static LinearAdapter[] randomAdapters(GemmaConfig c, int k, int rank) throws IOException {
        LinearAdapter[] out = new LinearAdapter[k];
        Path tmp = Files.createTempFile("jemma-bench-", ".gguf");
        try {
            for (int i = 0; i < k; i++) {
                LoraAdapter.create(c, rank, 2f * rank, EnumSet.allOf(Projection.class)).fillGaussian(7 + i, 0.02f, 0.02f).write(tmp);
                out[i] = LoraAdapter.read(tmp, c);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        return out;
    }

    private String at() {
        return depth > 0 ? " @ d" + depth : "";
    }

    /** Fills the first {@code depth} positions (untimed); returns the time the timed part starts. */
    private long prefillDepth(Gemma3Model m, InferenceState s, int[] tokens, float[] logits) {
        if (depth > 0) m.forward(s, tokens, 0, depth, null, false);
        return System.nanoTime();
    }

    /** A timed body: runs the test for n tokens and returns System.nanoTime() at which timing starts. */
    interface Body {
        long run(int n);
    }

    private Map<String, Object> measure(Gemma3Model m, String test, int tokens, Body run) {
        return measureInTurn(m, List.of(new Case(test, tokens, run))).getFirst();
    }

    /** The row of a test from its repetitions' tokens/s: median, min, max. */
    private Map<String, Object> row(Gemma3Model m, String test, double[] tps) {
        double[] sorted = tps.clone();
        Arrays.sort(sorted);
        double median = reps % 2 == 1 ? sorted[reps / 2] : (sorted[reps / 2 - 1] + sorted[reps / 2]) / 2;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("test", test);
        r.put("threads", m.threads());
        r.put("repetitions", reps);
        r.put("tokens_per_second_median", median);
        r.put("tokens_per_second_min", sorted[0]);
        r.put("tokens_per_second_max", sorted[reps - 1]);
        return r;
    }

    /**
     * Encode throughput of the model's tokenizer (or a tokenizer.json; loading is not timed), one thread.
     * Special-token text is matched, as Hugging Face's encode does, so the work is the same as theirs.
     */
    private int benchTokenizer() throws Exception {
        String text = InputFiles.text("--tokenize", tokenizeFile);
        double mb = text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length / 1e6;
        Tokenizer tok;
        if (tokenizerJson != null) {
            tok = Tokenizer.fromTokenizerJson(tokenizerJson);
        } else {
            try (GGUFFile f = dev.jemma.hf.ModelFiles.open(model.resolve())) {
                tok = Tokenizer.fromGGUF(f.metadata());
            }
        }
        int ids = tok.encodeWithSpecial(text).length; // warm-up; special-token text matched, as HF does
        double[] mbps = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            tok.encodeWithSpecial(text);
            mbps[i] = mb / ((System.nanoTime() - t0) / 1e9);
            Log.info(String.format("tokenize repetition %d/%d: %.2f MB/s", i + 1, reps, mbps[i]));
        }
        Arrays.sort(mbps);
        double median = reps % 2 == 1 ? mbps[reps / 2] : (mbps[reps / 2 - 1] + mbps[reps / 2]) / 2;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("test", "tokenize");
        r.put("bytes", (long) (mb * 1e6));
        r.put("tokens", ids);
        r.put("threads", 1);
        r.put("repetitions", reps);
        r.put("mb_per_second_median", median);
        r.put("mb_per_second_min", mbps[0]);
        r.put("mb_per_second_max", mbps[reps - 1]);
        if (json) System.out.println(new ObjectMapper().writeValueAsString(List.of(r)));
        else System.out.printf("tokenize %d bytes → %d tokens: %.2f MB/s median (min %.2f, max %.2f)%n",
                (long) (mb * 1e6), ids, median, mbps[0], mbps[reps - 1]);
        return 0;
    }

    /** VmHWM from /proc (Linux); -1 elsewhere. */
    private static long peakRssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (Exception ignored) {
            // not Linux
        }
        return -1;
    }
}
