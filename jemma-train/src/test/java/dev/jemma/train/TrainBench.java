package dev.jemma.train;

import dev.jemma.model.Gemma3Model;
import dev.jemma.model.Projection;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Random;

/**
 * Training-step throughput on a real model, for scripts/bench-train.sh: micro-batches of {@code seqs} × {@code len}
 * random tokens with the last 40% of each sequence labelled, LoRA r16 α32 on all seven projections (or the full
 * model), AdamW. Prints each step's split (forward, output head, layers' backward) and, last, a {@code RESULT} line
 * with the tokens per second of training data over the steps after warm-up.
 *
 * <p>Arguments: model.gguf [seqs=4] [len=128] [threads=2] [steps=3] [warmup=2] [lora|full]
 */
public final class TrainBench {
    public static void main(String[] a) throws Exception {
        Path model = Path.of(a[0]);
        int seqs = arg(a, 1, 4), len = arg(a, 2, 128), threads = arg(a, 3, 2), steps = arg(a, 4, 3), warmup = arg(a, 5, 2);
        boolean full = a.length > 6 && a[6].equals("full");
        try (Gemma3Model m = Gemma3Model.load(model, threads)) {
            TrainableModel tm = full ? TrainableModel.full(m, false)
                    : TrainableModel.lora(m, 16, 32, EnumSet.allOf(Projection.class), 1);
            int[][] tok = new int[seqs][len], lab = new int[seqs][len];
            Random r = new Random(1);
            int labelled = 0;
            for (int s = 0; s < seqs; s++) {
                for (int i = 0; i < len; i++) {
                    tok[s][i] = i == 0 ? 2 : 1000 + r.nextInt(20000);
                    lab[s][i] = i < len * 6 / 10 ? dev.jemma.train.data.TrainingExample.IGNORE : tok[s][i];
                    if (i > 0 && lab[s][i] != dev.jemma.train.data.TrainingExample.IGNORE) labelled++;
                }
            }
            AdamW opt = new AdamW(tm.params, 0.9, 0.999, 1e-8, 0);
            double timed = 0;
            double[] parts = new double[3];
            try (Backward bw = new Backward(tm.model, tm.lora, threads, seqs * len, len, seqs)) {
                for (int it = 0; it < warmup + steps; it++) {
                    Arrays.fill(bw.nanos, 0);
                    long t0 = System.nanoTime();
                    tm.grads.zero();
                    double loss = bw.run(tok, lab, 0, seqs, 1f / labelled, tm.grads) / labelled;
                    AdamW.clip(tm.params, 1.0);
                    opt.update(1e-4);
                    double secs = (System.nanoTime() - t0) / 1e9;
                    System.out.printf("step %d loss %.4f: forward %.2fs head %.2fs backward %.2fs, %.2fs, %.1f tokens/s%n",
                            it, loss, bw.nanos[0] / 1e9, bw.nanos[1] / 1e9, bw.nanos[2] / 1e9, secs, seqs * len / secs);
                    if (it >= warmup) {
                        timed += secs;
                        for (int i = 0; i < 3; i++) parts[i] += bw.nanos[i] / 1e9 / steps;
                    }
                }
            }
            tm.close();
            System.out.printf("RESULT %.2f tokens/s forward %.2fs head %.2fs backward %.2fs%n",
                    (double) seqs * len * steps / timed, parts[0], parts[1], parts[2]);
        }
    }

    private static int arg(String[] a, int i, int def) {
        return a.length > i ? Integer.parseInt(a[i]) : def;
    }
}
