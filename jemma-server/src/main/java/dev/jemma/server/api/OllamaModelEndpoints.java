package dev.jemma.server.api;

import dev.jemma.server.engine.ServedModels;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jemma.generate.SamplingParams;
import dev.jemma.server.engine.ModelInfo;
import dev.jemma.server.http.ApiException;
import dev.jemma.server.http.Json;

import java.time.Instant;
import java.util.Locale;
import java.util.Set;

/**
 * Ollama's model endpoints (serving conventions A4) that LangChain4j, Spring AI, Open WebUI and Continue use:
 * version, tags, ps and show, describing the one served model.
 */
final class OllamaModelEndpoints {
    /** Ollama's version we answer with: clients gate features on it; our behaviour matches this API level. */
    static final String VERSION = "0.12.0";

    private OllamaModelEndpoints() {}

    static ObjectNode version() {
        ObjectNode o = Json.object();
        o.put("version", VERSION);
        return o;
    }

    /** Every served id: the base and each adapter on it, the default first. */
    static ObjectNode tags(ServedModels models) {
        ObjectNode o = Json.object();
        var list = o.putArray("models");
        for (ServedModels.Served s : models.list()) list.add(entry(models.base(), s));
        return o;
    }

    static ObjectNode ps(ServedModels models) {
        ObjectNode o = Json.object();
        var list = o.putArray("models");
        ModelInfo m = models.base();
        for (ServedModels.Served s : models.list()) {
            ObjectNode e = entry(m, s);
            e.put("expires_at", "9999-12-31T23:59:59Z");
            e.put("size_vram", 0);
            e.put("context_length", m.contextLength());
            list.add(e);
        }
        return o;
    }

    static ObjectNode show(ObjectNode body, ServedModels models) {
        Params p = Params.of(body);
        p.allowOnly(Set.of("model", "name", "verbose"), Set.of());
        String name = p.string("model", p.string("name", null));
        if (name == null) throw ApiException.invalid("model", "'model' is required");
        ServedModels.Served s = models.find(name);
        if (s == null || name.isEmpty()) throw ApiException.notFound("model '" + name + "' not found");
        ModelInfo m = models.base();
        p.bool("verbose", false);
        ObjectNode o = Json.object();
        o.put("modelfile", "# served by Jemma\nFROM " + m.fileName() + "\n"
                + (s.isBase() ? "" : "ADAPTER " + s.adapter().path().getFileName() + "\n"));
        o.put("parameters", parameters(SamplingParams.GEMMA_DEFAULTS));
        // Gemma 3's chat format; tools are declared in the system text and answered in a constrained JSON envelope
        o.put("template", "{{- if .System }}{{ .System }}{{ end }}{{- if .Tools }}{{ .Tools }}{{ end }}"
                + "<start_of_turn>user\n{{ .Prompt }}<end_of_turn>\n<start_of_turn>model\n");
        o.set("details", details(m, s));
        ObjectNode info = o.putObject("model_info");
        info.put("general.architecture", "gemma3");
        info.put("general.parameter_count", m.parameters());
        info.put("gemma3.context_length", m.trainedContextLength());
        info.put("gemma3.embedding_length", m.embeddingLength());
        info.put("gemma3.block_count", m.blockCount());
        info.put("gemma3.attention.head_count", m.headCount());
        info.put("gemma3.attention.head_count_kv", m.headCountKv());
        info.put("gemma3.attention.sliding_window", m.slidingWindow());
        o.putArray("capabilities").add("completion").add("tools");
        o.put("modified_at", Instant.ofEpochSecond(m.created()).toString());
        return o;
    }

    /** The Modelfile parameters: the stop token and the sampling defaults requests start from. */
    private static String parameters(SamplingParams d) {
        return "stop \"<end_of_turn>\"\ntemperature " + number(d.temperature()) + "\ntop_k " + d.topK() + "\ntop_p " + number(d.topP());
    }

    private static String number(float f) {
        return f == Math.rint(f) ? String.valueOf((long) f) : String.format(Locale.ROOT, "%s", f);
    }

    private static ObjectNode details(ModelInfo m, ServedModels.Served s) {
        ObjectNode d = Json.object();
        d.put("parent_model", s.isBase() ? "" : m.id());
        d.put("format", "gguf");
        d.put("family", "gemma3");
        d.putArray("families").add("gemma3");
        d.put("parameter_size", m.parameterSize());
        d.put("quantization_level", m.quantization());
        return d;
    }

    private static ObjectNode entry(ModelInfo m, ServedModels.Served s) {
        ObjectNode e = Json.object();
        e.put("name", s.id());
        e.put("model", s.id());
        e.put("modified_at", Instant.ofEpochSecond(m.created()).toString());
        e.put("size", m.fileSize() + (s.isBase() ? 0 : s.adapter().bytes()));
        e.put("digest", Integer.toHexString(m.fileName().hashCode()) + Long.toHexString(m.fileSize())
                + (s.isBase() ? "" : "-" + Integer.toHexString(s.id().hashCode())));
        e.set("details", details(m, s));
        return e;
    }
}
