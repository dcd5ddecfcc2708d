package dev.jemma.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.jemma.JemmaException;
import dev.jemma.gguf.GGUFFile;
import dev.jemma.gguf.TensorInfo;
import dev.jemma.model.GemmaConfig;
import dev.jemma.model.Gemma3Model;
import dev.jemma.model.KVCache;
import dev.jemma.model.KVType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

@Command(name = "info", description = "Model metadata, tensor types, parameter counts and memory needs.")
final class InfoCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Mixin ContextOptions context;
    @Option(names = "--mmproj", paramLabel = "FILE", description = "also describe this vision tower (a Gemma 3 mmproj GGUF)")
    java.nio.file.Path mmproj;
    @Option(names = "--json", description = "print JSON")
    boolean json;

    /** What the products would run: the choice, what runs, the native library's state and the types it covers. */
    private Map<String, Object> kernels(java.util.Set<String> typeNames) {
        Map<String, Object> k = new LinkedHashMap<>();
        dev.jemma.tensor.Kernels choice = model.kernels();
        k.put("choice", choice.name().toLowerCase(java.util.Locale.ROOT));
        k.put("native_library", dev.jemma.tensor.NativeKernels.available()
                ? "loaded (" + dev.jemma.tensor.NativeKernels.variant() + ")" : "unavailable: " + dev.jemma.tensor.NativeKernels.unavailableReason());
        k.put("runs", choice.describe());
        List<String> covered = new ArrayList<>();
        for (String t : typeNames) {
            try {
                if (dev.jemma.tensor.NativeKernels.supports(dev.jemma.tensor.GGMLType.valueOf(t))) covered.add(t);
            } catch (IllegalArgumentException e) {
                // a type name Jemma does not know: not covered
            }
        }
        k.put("native_types_in_file", covered);
        return k;
    }

    @Override
    public Integer call() throws Exception {
        Log.quiet = json;
        context.checkFlags();
        // Metadata and tensor headers only: works on files without weights, and needs no tokenizer build.
        try (GGUFFile f = dev.jemma.hf.ModelFiles.open(model.resolve())) {
            GemmaConfig c = GemmaConfig.fromGGUF(f.metadata());
            int contextLength = context.contextLength(c, c.contextLength());
            int tokenizerSize = f.metadata().contains("tokenizer.ggml.tokens") ? f.metadata().arrayLength("tokenizer.ggml.tokens") : 0;
            TensorInfo emb = f.tensor("token_embd.weight");
            long vocabRows = emb != null && emb.shape().length == 2 ? emb.shape()[1] : tokenizerSize;
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("file", f.path().toString());
            info.put("file_bytes", f.fileSize());
            info.put("name", f.metadata().string("general.name", ""));
            info.put("architecture", "gemma3");
            info.put("config", c);
            info.put("vocab_rows", vocabRows);
            info.put("tokenizer_size", tokenizerSize);
            long embedding = vocabRows * c.hidden();
            long total = 0;
            Map<String, Long> types = new TreeMap<>();
            for (TensorInfo t : f.tensors()) {
                total += t.elementCount();
                types.merge(t.type().name(), 1L, Long::sum);
            }
            if (emb != null) { // a metadata-only file has no parameters to count
                info.put("parameters", total);
                info.put("parameters_embedding", embedding);
                info.put("parameters_non_embedding", total - embedding);
            }
            info.put("tensor_types", types);
            info.put("context_length", contextLength);
            KVType type = context.kvType();
            info.put("kv_type", type.id());
            long kv = KVCache.bytes(c, contextLength, Gemma3Model.DEFAULT_CHUNK, type);
            info.put("kv_cache_bytes", kv);
            info.put("kv_cache_bytes_without_window", KVCache.bytesWithoutWindow(c, contextLength, type));
            info.put("memory_bytes_estimate", f.fileSize() + kv);
            info.put("kernels", kernels(types.keySet()));
            if (mmproj != null) {
                try (dev.jemma.vision.VisionModel vm = dev.jemma.vision.VisionModel.load(InputFiles.existing("--mmproj", mmproj))) {
                    vm.checkTextWidth(c.hidden());
                    var vc = vm.config;
                    Map<String, Object> v = new LinkedHashMap<>();
                    v.put("file", mmproj.toString());
                    v.put("file_bytes", vm.file.fileSize());
                    v.put("encoder", "SigLIP");
                    v.put("image_size", vc.imageSize());
                    v.put("patch_size", vc.patchSize());
                    v.put("width", vc.hidden());
                    v.put("mlp_width", vc.ffn());
                    v.put("blocks", vc.blocks());
                    v.put("heads", vc.heads());
                    v.put("pooling", vc.pool());
                    v.put("tokens_per_image", vc.tokensPerImage());
                    v.put("projects_to", vc.projectionDim());
                    Map<String, Integer> vt = new java.util.TreeMap<>();
                    for (TensorInfo t : vm.file.tensors()) vt.merge(t.type().name(), 1, Integer::sum);
                    v.put("tensor_types", vt);
                    info.put("vision", v);
                }
            }
            if (json) {
                System.out.println(new ObjectMapper().writeValueAsString(info));
            } else {
                ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
                System.out.println(om.writeValueAsString(info));
            }
        }
        return 0;
    }
}
