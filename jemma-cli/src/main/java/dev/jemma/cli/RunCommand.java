package dev.jemma.cli;

import dev.jemma.JemmaException;
import dev.jemma.Trace;
import dev.jemma.generate.FinishReason;
import dev.jemma.generate.GenerationResult;
import dev.jemma.generate.SamplingParams;
import dev.jemma.generate.Session;
import dev.jemma.constrain.GbnfParser;
import dev.jemma.constrain.Grammar;
import dev.jemma.constrain.JsonGrammar;
import dev.jemma.constrain.JsonSchemaCompiler;
import dev.jemma.generate.TokenConstraint;
import dev.jemma.model.Gemma3Model;
import dev.jemma.tensor.Arithmetic;
import dev.jemma.vision.VisionEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "run", description = "Answer one prompt (one chat turn, or a raw completion with --raw), streamed to stdout.")
final class RunCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Mixin LoraOptions lora;
    @Mixin ChatAdapterOptions chatAdapter;
    @Mixin VisionOptions vision;
    @Mixin SpeculationOptions speculation;

    @Option(names = "--batch-invariant", description = "compute as the server's batches do (its tokens, to the bit), a little slower")
    boolean batchInvariant;
    @Mixin SamplingOptions sampling;
    @Mixin ContextOptions context;
    @Option(names = "--truncate", description = "cut a prompt too long for the context from the left (keeping BOS) instead of failing")
    boolean truncate;

    @Parameters(arity = "0..1", paramLabel = "PROMPT", description = "the prompt (or use --prompt-file, or stdin)")
    String prompt;
    @Option(names = "--prompt-file", description = "read the prompt from this file")
    Path promptFile;
    @Option(names = "--system", description = "system prompt (folded into the first user turn)")
    String system;
    @Option(names = "--raw", description = "plain completion of the text, no chat template")
    boolean raw;
    @Option(names = "--json-schema", paramLabel = "FILE", description = "constrain the answer to JSON valid for this JSON Schema; stdout is exactly the JSON")
    Path jsonSchema;
    @Option(names = "--grammar", paramLabel = "FILE", description = "constrain the answer to this GBNF grammar (llama.cpp format); stdout is exactly the text")
    Path grammarFile;
    @Option(names = "--json", description = "constrain the answer to a JSON object; stdout is exactly the JSON")
    boolean json;

    @Override
    public Integer call() throws Exception {
        context.checkFlags();
        vision.checkFlags();
        speculation.checkFlags();
        SamplingParams params = sampling.params(); // every flag checked before the model loads
        String text = prompt;
        if (text == null && promptFile != null) text = InputFiles.text("--prompt-file", promptFile);
        if (text == null) text = InputFiles.stdin(System.in);
        Grammar grammar = grammar();
        List<byte[]> images = vision.read();
        try (Gemma3Model m = model.load(c -> context.contextLength(c, c.contextLength()), lora, raw ? null : chatAdapter);
             VisionEngine v = vision.open(m, model.threads());
             SpeculationOptions drafts = speculation;
             Session s = new Session(m, context.config(m.config, truncate), null, null,
                     v == null ? Gemma3Model.DEFAULT_CHUNK : Math.max(Gemma3Model.DEFAULT_CHUNK, v.tokensPerImage()))) {
            // the head's interleaved copy would cost the first answer more than it saves; kept stored with or without
            // drafts, so that --draft-* never changes an answer's bits
            m.keepOutputHeadStored();
            Trace.mark("session ready");
            if (batchInvariant) s.arithmetic(Arithmetic.BATCH_INVARIANT);
            s.speculation(drafts.open(m, model.threads()));
            s.setSystem(system);
            var out = System.out;
            TokenConstraint c = grammar == null ? null : grammar.constraint(m.tokenizer);
            GenerationResult r;
            if (!images.isEmpty()) {
                long te = System.nanoTime();
                VisionEngine.Prepared p = raw ? v.completion(text, images, vision.panAndScan)
                        : v.userTurn(system, text, images, vision.panAndScan);
                Trace.mark("images encoded");
                Log.info(String.format("%d image(s) encoded in %.0f ms (%d views)", images.size(), (System.nanoTime() - te) / 1e6,
                        p.runs().count()));
                r = s.generate(p.ids(), p.runs(), params, c, d -> { out.print(d); out.flush(); });
            } else {
                r = raw
                        ? s.complete(text, params, c, d -> { out.print(d); out.flush(); })
                        : s.chat(text, params, c, d -> { out.print(d); out.flush(); });
            }
            if (grammar == null) out.println(); // constrained output is exactly the text, with no newline added
            out.flush();
            Stats.print(r);
            if (grammar != null && r.finishReason() == FinishReason.LENGTH) {
                System.err.println("jemma: error: the output was cut off at --max-tokens " + r.generatedTokens()
                        + " and is incomplete");
                return 1;
            }
        }
        return 0;
    }

    /** At most one of --json-schema, --grammar, --json; compiled before the model loads so errors come fast. */
    private Grammar grammar() throws java.io.IOException {
        int n = (jsonSchema != null ? 1 : 0) + (grammarFile != null ? 1 : 0) + (json ? 1 : 0);
        if (n > 1) throw new JemmaException("use only one of --json-schema, --grammar and --json");
        if (jsonSchema != null) return JsonSchemaCompiler.compile(InputFiles.text("--json-schema", jsonSchema));
        if (grammarFile != null) return GbnfParser.parse(InputFiles.text("--grammar", grammarFile));
        return json ? JsonGrammar.object() : null;
    }
}
