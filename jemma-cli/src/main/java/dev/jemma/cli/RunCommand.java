package dev.jemma.cli;

import dev.jemma.generate.GenerationResult;
import dev.jemma.generate.Session;
import dev.jemma.model.Gemma3Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "run", description = "Answer one prompt (one chat turn, or a raw completion with --raw), streamed to stdout.")
final class RunCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Mixin SamplingOptions sampling;
    @Mixin ContextOptions context;

    @Parameters(arity = "0..1", paramLabel = "PROMPT", description = "the prompt (or use --prompt-file, or stdin)")
    String prompt;
    @Option(names = "--prompt-file", description = "read the prompt from this file")
    Path promptFile;
    @Option(names = "--system", description = "system prompt (folded into the first user turn)")
    String system;
    @Option(names = "--raw", description = "plain completion of the text, no chat template")
    boolean raw;

    @Override
    public Integer call() throws Exception {
        String text = prompt;
        if (text == null && promptFile != null) text = Files.readString(promptFile, StandardCharsets.UTF_8);
        if (text == null) text = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
        try (Gemma3Model m = model.load();
             Session s = new Session(m, context.config(m))) {
            s.setSystem(system);
            var out = System.out;
            GenerationResult r = raw
                    ? s.complete(text, sampling.params(), d -> { out.print(d); out.flush(); })
                    : s.chat(text, sampling.params(), d -> { out.print(d); out.flush(); });
            out.println();
            out.flush();
            Stats.print(r);
        }
        return 0;
    }
}
