package dev.jemma.cli;

import dev.jemma.JemmaException;
import dev.jemma.generate.GenerationResult;
import dev.jemma.generate.SamplingParams;
import dev.jemma.generate.Session;
import dev.jemma.model.Gemma3Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

@Command(name = "chat", description = "Interactive multi-turn chat. /reset starts over, /exit (or end of input) quits.")
final class ChatCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Mixin LoraOptions lora;
    @Mixin ChatAdapterOptions chatAdapter;
    @Mixin SamplingOptions sampling;
    @Mixin ContextOptions context;
    @Option(names = "--truncate", description = "cut a prompt too long for the context from the left (keeping BOS) instead of failing")
    boolean truncate;

    @Option(names = "--system", description = "system prompt")
    String system;

    @Override
    public Integer call() throws Exception {
        context.checkFlags();
        SamplingParams params = sampling.params(); // every flag checked before the model loads
        try (Gemma3Model m = model.load(c -> context.contextLength(c, c.contextLength()), lora, chatAdapter);
             Session s = new Session(m, context.config(m.config, truncate))) {
            s.setSystem(system);
            InputFiles.Lines in = new InputFiles.Lines(System.in);
            Log.info("chat ready: type a message; /reset to start over, /exit to quit");
            var out = System.out;
            while (true) {
                System.err.print("> ");
                System.err.flush();
                String line = in.next();
                if (line == null || line.strip().equals("/exit")) break;
                if (line.strip().equals("/reset")) {
                    s.reset();
                    Log.info("conversation reset");
                    continue;
                }
                if (line.isBlank()) continue;
                try {
                    GenerationResult r = s.chat(line, params, d -> { out.print(d); out.flush(); });
                    out.println();
                    out.flush();
                    Stats.print(r);
                } catch (JemmaException e) {
                    System.err.println("jemma: error: " + e.getMessage());
                    if (e instanceof dev.jemma.model.ContextOverflowException) {
                        Log.info("the conversation no longer fits the context; use /reset");
                    }
                }
            }
        }
        return 0;
    }
}
