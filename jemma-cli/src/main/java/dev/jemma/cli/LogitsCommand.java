package dev.jemma.cli;

import dev.jemma.JemmaException;
import dev.jemma.model.Gemma3Model;
import dev.jemma.model.InferenceState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "logits", description = "Write float32 logits for every position, shape [n_tokens, n_vocab], to a .npy file. Tokens are used exactly as given (no BOS added).")
final class LogitsCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Mixin LoraOptions lora;
    @Mixin VisionOptions vision;
    @Option(names = "--tokens", required = true, split = ",", description = "comma-separated token ids")
    int[] tokens;
    @Option(names = "--out", required = true, description = "output .npy file")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (tokens.length == 0) throw new JemmaException("--tokens is empty");
        vision.checkFlags();
        java.util.List<byte[]> images = vision.read();
        try (Gemma3Model m = model.load(lora); dev.jemma.vision.VisionEngine v = vision.open(m, model.threads())) {
            int vocab = m.vocabRows();
            if (tokens.length > m.config.contextLength()) {
                throw new JemmaException(tokens.length + " tokens exceed the model's context length " + m.config.contextLength());
            }
            if (v != null && vision.any()) {
                // every run of <image_soft_token> ids filled, in order, with the images' views; runs see themselves both ways
                var p = v.fill(tokens, images, vision.panAndScan);
                float[] all = new float[tokens.length * vocab];
                try (InferenceState s = m.newState(tokens.length, Math.max(Gemma3Model.ALL_LOGITS_CHUNK, v.tokensPerImage()),
                        dev.jemma.model.KVType.F32); NpyWriter w = NpyWriter.create(out, tokens.length, vocab)) {
                    m.forward(s, tokens, p.runs(), 0, all, true, dev.jemma.tensor.Arithmetic.FAST);
                    w.write(all, all.length);
                }
                Log.info("wrote " + tokens.length + " x " + vocab + " logits (" + p.runs().count() + " image runs) to " + out);
                return 0;
            }
            InferenceState s = m.newState(tokens.length);
            int chunk = Gemma3Model.ALL_LOGITS_CHUNK;
            float[] logits = new float[chunk * vocab];
            try (NpyWriter w = NpyWriter.create(out, tokens.length, vocab)) {
                for (int done = 0; done < tokens.length; done += chunk) {
                    int n = Math.min(chunk, tokens.length - done);
                    m.forward(s, tokens, done, n, logits, true);
                    w.write(logits, n * vocab);
                }
            }
            Log.info("wrote " + tokens.length + " x " + vocab + " logits to " + out);
        }
        return 0;
    }
}
