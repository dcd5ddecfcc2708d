package dev.jemma.cli;

import dev.jemma.JemmaException;
import dev.jemma.generate.GenerationResult;
import dev.jemma.generate.SamplingParams;
import dev.jemma.generate.Session;
import dev.jemma.model.Gemma3Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import dev.jemma.generate.ChatMessage;
import dev.jemma.generate.ChatTemplate;
import dev.jemma.vision.ImagePrompt;
import dev.jemma.vision.VisionEngine;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "chat", description = "Interactive multi-turn chat. /reset starts over, /exit (or end of input) quits.")
final class ChatCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Mixin LoraOptions lora;
    @Mixin ChatAdapterOptions chatAdapter;
    @Mixin SamplingOptions sampling;
    @Mixin ContextOptions context;
    @Mixin VisionOptions vision;
    @Mixin SpeculationOptions speculation;
    @Option(names = "--truncate", description = "cut a prompt too long for the context from the left (keeping BOS) instead of failing")
    boolean truncate;

    @Option(names = "--system", description = "system prompt")
    String system;

    @Override
    public Integer call() throws Exception {
        context.checkFlags();
        vision.checkFlags();
        speculation.checkFlags();
        SamplingParams params = sampling.params(); // every flag checked before the model loads
        List<byte[]> pending = new ArrayList<>(vision.read()); // --image: for the first message
        try (Gemma3Model m = model.load(c -> context.contextLength(c, c.contextLength()), lora, chatAdapter);
             VisionEngine v = vision.open(m, model.threads());
             SpeculationOptions drafts = speculation;
             Session s = new Session(m, context.config(m.config, truncate), null, null,
                     v == null ? Gemma3Model.DEFAULT_CHUNK : Math.max(Gemma3Model.DEFAULT_CHUNK, v.tokensPerImage()))) {
            // the head's interleaved copy would cost the first answer more than it saves; kept stored with or without
            // drafts, so that --draft-* never changes an answer's bits
            m.keepOutputHeadStored();
            s.setSystem(system);
            s.speculation(drafts.open(m, model.threads()));
            // with images the conversation is kept here (image places in its messages) and rendered whole each
            // turn; the session's prefix reuse computes only what is new
            List<ChatMessage> convo = new ArrayList<>();
            List<byte[]> convoImages = new ArrayList<>();
            ChatTemplate template = null; // made when an image first comes: a raw model has no chat tokens
            InputFiles.Lines in = new InputFiles.Lines(System.in);
            Log.info("chat ready: type a message; " + (v != null ? "/image PATH attaches an image to the next one; " : "")
                    + "/reset to start over, /exit to quit");
            var out = System.out;
            while (true) {
                System.err.print("> ");
                System.err.flush();
                String line = in.next();
                if (line == null || line.strip().equals("/exit")) break;
                if (line.strip().equals("/reset")) {
                    s.reset();
                    convo.clear();
                    convoImages.clear();
                    pending.clear();
                    Log.info("conversation reset");
                    continue;
                }
                if (line.strip().startsWith("/image")) {
                    String path = line.strip().substring("/image".length()).strip();
                    if (v == null) {
                        System.err.println("jemma: error: images need --mmproj FILE (the model's vision tower)");
                    } else if (path.isEmpty()) {
                        System.err.println("jemma: error: /image needs a file: /image PATH");
                    } else {
                        try {
                            Path p = InputFiles.existing("/image", Path.of(path));
                            pending.add(java.nio.file.Files.readAllBytes(p));
                            Log.info("image " + p.getFileName() + " attached to your next message");
                        } catch (JemmaException | java.io.IOException e) {
                            System.err.println("jemma: error: " + e.getMessage());
                        }
                    }
                    continue;
                }
                if (line.isBlank()) continue;
                try {
                    GenerationResult r;
                    if (convo.isEmpty() && system != null && !system.isEmpty()) convo.add(ChatMessage.system(system));
                    if (!pending.isEmpty() || !convoImages.isEmpty()) {
                        convo.add(ChatMessage.user(ImagePrompt.PLACE.repeat(pending.size()) + ChatTemplate.trim(line)));
                        List<byte[]> all = new ArrayList<>(convoImages);
                        all.addAll(pending);
                        VisionEngine.Prepared p;
                        if (template == null) template = new ChatTemplate(m.tokenizer);
                        try {
                            p = v.conversation(template, convo, all, vision.panAndScan);
                        } catch (JemmaException e) {
                            convo.removeLast();
                            pending.clear();
                            throw e;
                        }
                        convoImages.clear();
                        convoImages.addAll(all);
                        pending.clear();
                        r = s.generate(p.ids(), p.runs(), params, null, d -> { out.print(d); out.flush(); });
                        convo.add(ChatMessage.model(r.text()));
                    } else {
                        r = s.chat(line, params, d -> { out.print(d); out.flush(); });
                        convo.add(ChatMessage.user(line));
                        convo.add(ChatMessage.model(r.text()));
                    }
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
