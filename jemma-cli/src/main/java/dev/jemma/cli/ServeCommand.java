package dev.jemma.cli;

import dev.jemma.Jemma;
import dev.jemma.JemmaException;
import dev.jemma.model.KVType;
import dev.jemma.server.JemmaServer;
import dev.jemma.server.ServerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code jemma serve}: the OpenAI- and Ollama-compatible HTTP server. stdout gets one line, the listening URL;
 * everything else goes to stderr. SIGTERM or Ctrl-C drains: /ready turns 503, in-flight requests get the grace
 * period, the rest are cancelled, and the process exits 0.
 */
@Command(name = "serve", description = "Serve the model over HTTP (OpenAI /v1 and Ollama /api compatible).")
final class ServeCommand implements Callable<Integer> {
    /** per-request context when --ctx is not given (capped at the model's maximum): 8 slots × 8K stay small */
    static final int DEFAULT_CONTEXT = 8192;
    @Mixin ModelOptions model;
    @Mixin LoraOptions lora;
    @Mixin ChatAdapterOptions chatAdapter;
    @Option(names = "--lora-dir", paramLabel = "DIR", description = "serve every *.gguf adapter in DIR as a model id (its file name "
            + "without .gguf), and let POST /v1/adapters load more from DIR (and only from DIR) at run time")
    Path loraDir;
    @Option(names = "--adapter-memory", paramLabel = "MiB", description = "memory all adapters may take together (default: a quarter of the available memory)")
    Long adapterMemoryMiB;

    @Option(names = "--mmproj", paramLabel = "FILE", description = "the vision tower (a Gemma 3 mmproj GGUF): requests may then carry images")
    Path mmproj;
    @Option(names = "--host", description = "address to bind (default: 127.0.0.1, this machine only)")
    String host = "127.0.0.1";
    @Option(names = "--port", description = "port (default: 8080; 0 picks a free one)")
    int port = 8080;
    @Mixin ContextOptions context;
    @Mixin SpeculationOptions speculation;
    @Option(names = {"-np", "--parallel"}, description = "requests decoded together (default: 8)")
    int parallel = 8;
    @Option(names = "--queue", description = "requests waiting for a slot before 503 (default: 64)")
    int queue = 64;
    @Option(names = "--api-key", description = "accepted API key (repeatable); keys are never logged")
    List<String> apiKeys = new ArrayList<>();
    @Option(names = "--api-key-file", description = "file with one API key per line")
    Path apiKeyFile;
    @Option(names = "--cors-origin", description = "browser origin allowed to call the API (repeatable; * for any). Default: none")
    List<String> corsOrigins = new ArrayList<>();
    @Option(names = "--alias", description = "the model's name in the API (default: the file name without .gguf)")
    String alias;
    @Option(names = "--timeout", description = "longest a generation may run, in seconds (default: 600)")
    int timeout = 600;
    @Option(names = "--max-body", description = "request body limit in MiB (default: 8)")
    int maxBodyMiB = 8;
    @Option(names = "--max-tokens-limit", description = "the most tokens one request may generate; larger requests are clamped"
            + " and end with finish_reason \"length\" (default: " + ServerConfig.DEFAULT_MAX_TOKENS_LIMIT + ")")
    int maxTokensLimit = ServerConfig.DEFAULT_MAX_TOKENS_LIMIT;
    @Option(names = "--grace", description = "seconds in-flight requests may finish on shutdown (default: 30)")
    int grace = 30;

    @Override
    public Integer call() throws Exception {
        List<String> keys = new ArrayList<>(apiKeys);
        if (apiKeyFile != null) {
            for (String line : InputFiles.text("--api-key-file", apiKeyFile).split("\\R")) {
                if (!line.isBlank() && !line.startsWith("#")) keys.add(line.strip());
            }
        }
        context.checkFlags();
        speculation.checkFlags();
        if (mmproj != null) InputFiles.existing("--mmproj", mmproj);
        if (timeout < 1) throw new JemmaException("--timeout must be ≥ 1 second");
        if (maxBodyMiB < 1 || maxBodyMiB > 1024) throw new JemmaException("--max-body must be in [1, 1024] MiB");
        ServerConfig base = ServerConfig.defaults().withHost(host).withPort(port).withSlots(parallel, queue)
                .withApiKeys(keys).withCorsOrigins(corsOrigins).withAlias(alias).withMaxBodyBytes(maxBodyMiB << 20).withMaxTokensLimit(maxTokensLimit)
                .withRequestTimeout(Duration.ofSeconds(timeout)).withDrainGrace(Duration.ofSeconds(grace));
        ServerConfig config = loraDir == null ? base : base.withAdapterDir(loraDir.toAbsolutePath());
        if (adapterMemoryMiB != null && adapterMemoryMiB < 0) throw new JemmaException("--adapter-memory must be ≥ 0");
        List<LoraOptions.Spec> adapters = new ArrayList<>(lora.parsed());
        if (loraDir != null) {
            if (!Files.isDirectory(loraDir)) throw new JemmaException("--lora-dir " + loraDir + " is not a directory");
            try (var files = Files.list(loraDir)) {
                for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".gguf")).sorted().toList()) {
                    LoraOptions.Spec unnamed = new LoraOptions.Spec(f, 1f);
                    adapters.add(new LoraOptions.Spec(unnamed.modelId(), f, 1f));
                }
            }
        }
        Path chat = chatAdapter.resolve(model);
        Path path = model.resolve();
        KVType kv = context.kvType();
        if (!config.loopback() && keys.isEmpty()) {
            Log.info("warning: listening on " + host + " without --api-key: anyone who can reach it can use the model");
        }
        long t0 = System.nanoTime();
        JemmaServer server = JemmaServer.start(config, () -> {
            Jemma.Builder b = Jemma.builder().model(path).threads(model.threads).kernels(model.kernels()).kvType(kv).mmproj(mmproj);
            speculation.applyTo(b);
            if (adapterMemoryMiB != null) b.adapterMemory(adapterMemoryMiB << 20);
            if (chat != null) {
                b.adapter(DefaultChatAdapter.NAME, chat, 1f);
                // an unnamed --lora means "apply this to the model" (llama-server's --lora): then the base is the default
                if (adapters.stream().allMatch(a -> a.name() != null)) b.defaultAdapter(DefaultChatAdapter.NAME);
            }
            for (LoraOptions.Spec a : adapters) {
                // NAME=FILE is its own model id; a --lora without NAME= is applied to requests for the base, as
                // llama-server's --lora (the registry's global set)
                if (a.name() != null) b.adapter(a.name(), a.file(), a.scale());
                else b.adapter(a.modelId(), a.file(), 1f, a.scale());
            }
            Jemma j = (context.ctx != null ? b.contextLength(context.ctx) : b.defaultContextLength(DEFAULT_CONTEXT)).build();
            for (var a : j.adapters().list()) {
                Log.info("adapter " + a.name() + " (id " + a.id() + ", rank " + a.rank() + ", scale " + a.scale()
                        + (a.globalScale() != 0 ? ", applied to the base at " + a.globalScale() : "") + ")");
            }
            int ctx = j.context().contextLength();
            Log.info(String.format("loaded %s in %.0f ms (%d threads, %s kernels, ctx %d, %d slots, queue %d)", path.getFileName(),
                    (System.nanoTime() - t0) / 1e6, model.threads, j.model().kernels().describe(), ctx, parallel, queue));
            // loading leaves the tokenizer's build garbage behind; one collection now lets G1 (the launcher's collector
            // for serve) give that heap back before the first request
            System.gc();
            return j;
        }, System.err);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            Log.info("shutting down: draining (grace " + grace + " s)");
            server.drain(config.drainGrace());
            Log.info("stopped");
            stopped.countDown();
            // a drained shutdown is a clean exit, not "killed by SIGTERM" (143)
            Runtime.getRuntime().halt(0);
        }, "jemma-drain"));
        System.out.println(server.url());
        System.out.flush();
        Log.info("listening on " + server.url() + (keys.isEmpty() ? "" : " (API keys required)"));
        stopped.await();
        return 0;
    }
}
