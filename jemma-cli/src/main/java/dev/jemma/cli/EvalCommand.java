package dev.jemma.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jemma.JemmaException;
import dev.jemma.constrain.Grammar;
import dev.jemma.constrain.JsonSchemaCompiler;
import dev.jemma.generate.ContextConfig;
import dev.jemma.generate.FinishReason;
import dev.jemma.generate.GenerationResult;
import dev.jemma.generate.SamplingParams;
import dev.jemma.generate.Session;
import dev.jemma.model.Gemma3Model;
import dev.jemma.train.eval.EvalExample;
import dev.jemma.train.eval.EvalSet;
import dev.jemma.train.eval.PromptBuilder;
import dev.jemma.train.eval.Score;
import dev.jemma.train.eval.Scorer;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Scores a model on an evaluation set: a greedy answer per row, compared with the row's expected answer by
 * {@link Scorer}; one JSON object on stdout, progress and timings on stderr. Raw prompts (prompt/completion rows) are
 * answered as plain completions, conversations (messages rows) as the model's next turn; generation ends at
 * EOS/{@code <end_of_turn>}, at --max-tokens, when a --json-schema answer is complete, and, after raw few-shot
 * prompts, at the blank line that separates the shots (as lm-evaluation-harness stops few-shot answers).
 */
@Command(name = "eval", description = "Score greedy answers against an evaluation set (JSON extraction metrics); the scores are one JSON object on stdout.")
final class EvalCommand implements Callable<Integer> {
    /** Eval prompts are short; a small default context keeps the KV cache small (--ctx overrides). */
    private static final int DEFAULT_CONTEXT = 4096;

    @Mixin ModelOptions model;
    @Mixin LoraOptions lora;
    @Mixin ContextOptions context;

    @Option(names = "--data", required = true, paramLabel = "EVAL.jsonl",
            description = "evaluation rows: {\"prompt\",\"completion\"} or {\"messages\"} ending with the expected model turn")
    Path data;
    @Option(names = "--json-schema", paramLabel = "FILE", description = "constrain every answer to JSON valid for this JSON Schema")
    Path jsonSchema;
    @Option(names = "--shots", paramLabel = "K", description = "few-shot examples before each prompt (default: ${DEFAULT-VALUE})")
    int shots = 0;
    @Option(names = "--shots-from", paramLabel = "TRAIN.jsonl", description = "where the few-shot examples come from: its first K rows")
    Path shotsFrom;
    @Option(names = "--max-tokens", paramLabel = "N", description = "most tokens per answer (default: ${DEFAULT-VALUE})")
    int maxTokens = 256;
    @Option(names = "--limit", paramLabel = "N", description = "score only the first N rows (default: all)")
    Integer limit;

    @Override
    public Integer call() throws Exception {
        context.checkFlags();
        if (shots < 0) throw new JemmaException("--shots must be ≥ 0, got " + shots);
        if (shots > 0 && shotsFrom == null) throw new JemmaException("--shots " + shots + " needs --shots-from TRAIN.jsonl");
        if (shots == 0 && shotsFrom != null) throw new JemmaException("--shots-from needs --shots K (K ≥ 1)");
        if (maxTokens < 1) throw new JemmaException("--max-tokens must be ≥ 1, got " + maxTokens);
        if (limit != null && limit < 1) throw new JemmaException("--limit must be ≥ 1, got " + limit);
        Grammar grammar = jsonSchema == null ? null : JsonSchemaCompiler.compile(InputFiles.text("--json-schema", jsonSchema));
        List<EvalExample> examples = EvalSet.load(InputFiles.existing("--data", data), limit == null ? -1 : limit);
        List<EvalExample> shotRows = shots == 0 ? List.of() : EvalSet.load(InputFiles.existing("--shots-from", shotsFrom), shots);
        if (shotRows.size() < shots) {
            throw new JemmaException("--shots " + shots + " but " + shotsFrom + " holds only " + shotRows.size() + " examples");
        }

        Scorer scorer = new Scorer();
        int cutOff = 0;
        long promptTokens = 0, computedTokens = 0, generatedTokens = 0, prefillNanos = 0, decodeNanos = 0;
        long t0 = System.nanoTime();
        try (Gemma3Model m = model.load(c -> context.contextLength(c, DEFAULT_CONTEXT), lora);
             Session s = new Session(m, new ContextConfig(context.contextLength(m.config, DEFAULT_CONTEXT), context.kvType(), false, null));
             ProgressBar bar = new ProgressBarBuilder().setTaskName("eval").setInitialMax(examples.size())
                     .setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(System.err)).build()) {
            PromptBuilder prompts = new PromptBuilder(m.tokenizer, shotRows);
            for (EvalExample e : examples) {
                SamplingParams params = SamplingParams.greedy(maxTokens);
                if (!e.isChat() && shots > 0) params = params.withStop(List.of(PromptBuilder.SHOT_SEPARATOR));
                GenerationResult r = s.generate(prompts.ids(e), params, grammar == null ? null : grammar.constraint(m.tokenizer), t -> { });
                scorer.add(e.expected(), r.text());
                if (r.finishReason() == FinishReason.LENGTH) cutOff++;
                promptTokens += r.promptTokens();
                computedTokens += r.prefilledTokens();
                generatedTokens += r.generatedTokens();
                prefillNanos += r.prefillNanos();
                decodeNanos += r.decodeNanos();
                bar.step();
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Score score = scorer.result();
        ObjectNode out = score.toJson();
        out.put("schema_constrained", grammar != null);
        out.put("shots", shots);
        out.put("max_tokens", maxTokens);
        out.put("cut_off", cutOff);
        System.out.println(out.toString());
        System.out.flush();
        Log.info(String.format("%d examples in %.1f s (%.2f s each) | prompts %d tokens (%d computed, %.1f tok/s) | generated %d tokens (%.1f tok/s)%s",
                examples.size(), seconds, seconds / examples.size(), promptTokens, computedTokens,
                computedTokens / Math.max(1e-9, prefillNanos / 1e9), generatedTokens, generatedTokens / Math.max(1e-9, decodeNanos / 1e9),
                cutOff > 0 ? " | " + cutOff + " answers cut off at --max-tokens" : ""));
        return 0;
    }
}
