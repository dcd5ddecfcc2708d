package dev.jemma.spark;

import dev.jemma.adapter.AdapterSum;
import dev.jemma.adapter.LoraAdapter;
import dev.jemma.batch.BatchConfig;
import dev.jemma.batch.BatchScheduler;
import dev.jemma.constrain.Grammar;
import dev.jemma.constrain.JsonSchemaCompiler;
import dev.jemma.generate.Speculation;
import dev.jemma.model.Gemma3Model;
import dev.jemma.model.KVType;
import dev.jemma.model.LinearAdapter;
import org.apache.spark.SparkEnv;
import org.apache.spark.SparkFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One loaded model and its continuous-batching scheduler, shared by every task of an executor JVM: loaded on the
 * first task that needs it, then reused by later tasks and partitions (the weights stay memory-mapped, the slots'
 * KV caches stay allocated). Concurrent tasks feed the same scheduler, so an executor with several cores keeps
 * its slots busy. Engines live until the JVM exits ({@link #closeAll} for tests and embedded drivers).
 */
final class ExecutorEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorEngine.class);
    private static final Map<GenerateOptions.EngineKey, ExecutorEngine> ENGINES = new HashMap<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ExecutorEngine::closeAll, "jemma-engines-close"));
    }

    final Gemma3Model model;
    final BatchScheduler scheduler;
    /** The named adapters a row may choose. */
    final Map<String, LinearAdapter> named;
    private final Map<String, Grammar> grammars = new HashMap<>();

    private ExecutorEngine(Gemma3Model model, BatchScheduler scheduler, Map<String, LinearAdapter> named) {
        this.model = model;
        this.scheduler = scheduler;
        this.named = named;
    }

    /** This JVM's engine for these options, loaded now if it is the first use. */
    static ExecutorEngine get(GenerateOptions o) {
        GenerateOptions.EngineKey key = key(o);
        synchronized (ENGINES) {
            ExecutorEngine e = ENGINES.get(key);
            if (e == null) {
                e = load(key);
                ENGINES.put(key, e);
            }
            return e;
        }
    }

    /** Closes every engine of this JVM (their slots' memory is released). */
    static void closeAll() {
        synchronized (ENGINES) {
            for (ExecutorEngine e : ENGINES.values()) e.close();
            ENGINES.clear();
        }
    }

    /** The engine these options ask for, with shipped files at this executor's copies. */
    private static GenerateOptions.EngineKey key(GenerateOptions o) {
        GenerateOptions.EngineKey k = o.engineKey();
        if (!o.shipFiles) return k;
        List<GenerateOptions.Adapter> shipped = new ArrayList<>();
        for (GenerateOptions.Adapter a : k.adapters()) {
            shipped.add(new GenerateOptions.Adapter(a.name(), SparkFiles.get(fileName(a.path())), a.scale()));
        }
        return new GenerateOptions.EngineKey(SparkFiles.get(fileName(k.modelPath())), List.copyOf(shipped),
                k.contextLength(), k.kvType(), k.slots(), k.threads(), k.draftNgram());
    }

    static String fileName(String path) {
        return Path.of(path).getFileName().toString();
    }

    private static ExecutorEngine load(GenerateOptions.EngineKey key) {
        Path model = Path.of(key.modelPath());
        if (!Files.exists(model)) throw new JemmaSparkException(missing("model", model));
        for (GenerateOptions.Adapter a : key.adapters()) {
            if (!Files.isRegularFile(Path.of(a.path()))) throw new JemmaSparkException(missing("adapter", Path.of(a.path())));
        }
        int threads = key.threads() > 0 ? key.threads() : executorCores();
        long t0 = System.nanoTime();
        Gemma3Model m = null;
        try {
            m = Gemma3Model.load(model, threads, c -> c.checkContextLength(key.contextLength()));
            List<LinearAdapter> everyRow = new ArrayList<>();
            Map<String, LinearAdapter> named = new LinkedHashMap<>();
            for (GenerateOptions.Adapter a : key.adapters()) {
                LinearAdapter la = LoraAdapter.read(Path.of(a.path()), m.config).withScale(a.scale());
                if (a.name() == null) everyRow.add(la);
                else named.put(a.name(), la);
            }
            if (!everyRow.isEmpty()) m.adapter(AdapterSum.of(everyRow));
            // a queue deep enough that every task's window fits (tasks wait on their own window, never on the queue)
            BatchConfig bc = new BatchConfig(key.slots(), 4096, key.contextLength(), KVType.parse(key.kvType()), null,
                    key.draftNgram() > 0 ? Speculation.promptLookup(key.draftNgram(), Speculation.DEFAULT_DRAFT_MAX) : null);
            BatchScheduler s = new BatchScheduler(m, bc);
            LOG.info(String.format("jemma: loaded %s in %.0f ms (%d threads, %d slots of %d positions, %d adapters)",
                    model.getFileName(), (System.nanoTime() - t0) / 1e6, threads, key.slots(), key.contextLength(),
                    key.adapters().size()));
            return new ExecutorEngine(m, s, named);
        } catch (IOException e) {
            if (m != null) m.close();
            throw new JemmaSparkException("cannot load " + model + " on " + host() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            if (m != null) m.close();
            throw e;
        }
    }

    /** The cores Spark gave this executor (spark.executor.cores), else the machine's. */
    private static int executorCores() {
        int machine = Runtime.getRuntime().availableProcessors();
        SparkEnv env = SparkEnv.get();
        if (env == null || env.conf() == null) return machine;
        int cores = env.conf().getInt("spark.executor.cores", machine);
        return Math.max(1, Math.min(cores, machine));
    }

    private static String missing(String what, Path p) {
        return "the " + what + " file " + p + " is not on executor host " + host()
                + ": put it at the same path on every node, or ship it with the job (GenerateOptions.shipFiles(true),"
                + " jemma batch --ship-files)";
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "(unknown)";
        }
    }

    /** The JSON Schema compiled once per engine (compiling is the slow part; each row gets its own constraint). */
    synchronized Grammar grammar(String schema) {
        return grammars.computeIfAbsent(schema, JsonSchemaCompiler::compile);
    }

    @Override
    public void close() {
        scheduler.close();
        model.close();
    }
}
