package dev.jemma.cli;

import dev.jemma.JemmaException;
import dev.jemma.adapter.AdapterRegistry;
import dev.jemma.adapter.AdapterRegistryException;
import dev.jemma.adapter.AdapterSum;
import dev.jemma.adapter.LoraAdapter;
import dev.jemma.model.Gemma3Model;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** --lora FILE[:SCALE], repeatable: llama.cpp LoRA adapters applied to every sequence, summed (as llama.cpp's --lora). */
public final class LoraOptions {
    /** One --lora: a name (serve: the model id; else null), the file and its user scale. */
    public record Spec(String name, Path file, float scale) {
        Spec(Path file, float scale) {
            this(null, file, scale);
        }

        /** The model id a server gives it: its name, else the file name without .gguf. */
        String modelId() {
            if (name != null) return name;
            String f = file.getFileName().toString();
            return f.endsWith(".gguf") ? f.substring(0, f.length() - 5) : f;
        }
    }

    @Option(names = "--lora", paramLabel = "[NAME=]FILE[:SCALE]",
            description = "LoRA adapter GGUF (llama.cpp format), optionally with a scale (default 1); repeatable, the adapters add up "
                    + "(serve: NAME= serves it as its own model id instead)")
    List<String> specs = new ArrayList<>();

    /** The parsed flags, every file checked to exist (before anything slow starts). */
    public List<Spec> parsed() {
        List<Spec> out = new ArrayList<>();
        for (String s : specs) out.add(parse(s));
        return out;
    }

    /**
     * FILE or FILE:SCALE. A name that itself contains ':' still works: the suffix is a scale only when it parses as
     * a number, and a file of the whole name wins.
     */
    static Spec parse(String spec) {
        int eq = spec.indexOf('=');
        if (eq > 0 && !Files.exists(Path.of(spec))) {
            String name = spec.substring(0, eq);
            try {
                AdapterRegistry.checkName(name);
            } catch (AdapterRegistryException e) {
                throw new JemmaException("--lora " + spec + ": " + e.getMessage());
            }
            Spec s = parseFile(spec.substring(eq + 1));
            return new Spec(name, s.file(), s.scale());
        }
        return parseFile(spec);
    }

    private static Spec parseFile(String spec) {
        int colon = spec.lastIndexOf(':');
        Path whole = Path.of(spec);
        if (colon > 0 && !Files.exists(whole)) {
            String file = spec.substring(0, colon), scale = spec.substring(colon + 1);
            float f;
            try {
                f = Float.parseFloat(scale);
            } catch (NumberFormatException e) {
                if (Files.exists(Path.of(file))) throw new JemmaException("--lora " + spec + ": scale '" + scale + "' is not a number");
                return new Spec(InputFiles.existing("--lora", whole), 1f);
            }
            if (!Float.isFinite(f)) throw new JemmaException("--lora " + spec + ": scale must be a finite number");
            return new Spec(InputFiles.existing("--lora", Path.of(file)), f);
        }
        return new Spec(InputFiles.existing("--lora", whole), 1f);
    }

    /** Reads the adapters for the model and makes every sequence of it use them (nothing when no --lora). */
    void apply(Gemma3Model m) throws IOException {
        apply(m, null);
    }

    /** As {@link #apply(Gemma3Model)}, with {@code extra} (the default chat adapter, or null) added first. */
    void apply(Gemma3Model m, Path extra) throws IOException {
        List<Spec> parsed = new ArrayList<>(parsed());
        if (extra != null) parsed.addFirst(new Spec(extra, 1f));
        if (parsed.isEmpty()) return;
        List<LoraAdapter> adapters = new ArrayList<>();
        for (Spec s : parsed) {
            LoraAdapter a = LoraAdapter.read(s.file(), m.config).withScale(s.scale());
            Log.info("adapter " + s.file().getFileName() + ": " + a);
            adapters.add(a);
        }
        m.adapter(AdapterSum.of(adapters));
    }
}
