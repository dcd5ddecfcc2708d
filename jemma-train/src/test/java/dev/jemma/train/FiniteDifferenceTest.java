package dev.jemma.train;

import dev.jemma.adapter.LoraAdapter;
import dev.jemma.model.Gemma3Model;
import dev.jemma.model.Projection;
import dev.jemma.testutil.TinyGemma;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The analytic gradients against central differences of the loss, on parameters that live in memory. */
class FiniteDifferenceTest {
    private static final int[][] TOKENS = {{2, 10, 40, 77, 120, 5, 9, 200, 31, 64}, {2, 15, 16, 17, 250}};
    private static final int[][] LABELS = {{-100, -100, -100, 77, 120, 5, 9, 200, 31, 64}, {-100, 15, 16, -100, 250}};

    @Test
    void loraAndNormGradientsMatchCentralDifferences(@TempDir Path tmp) throws Exception {
        try (Gemma3Model m = Gemma3Model.load(TinyGemma.builder().write(tmp), 1)) {
            LoraAdapter lora = LoraAdapter.create(m.config, 4, 8f, EnumSet.allOf(Projection.class));
            Random r = new Random(3);
            for (int l = 0; l < m.config.layers(); l++) {
                for (Projection p : Projection.values()) {
                    for (float[] x : new float[][] {lora.a(l, p), lora.b(l, p)}) for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian() * 0.2f;
                }
            }
            int labelled = 0;
            for (int[] lab : LABELS) for (int i = 1; i < lab.length; i++) if (lab[i] != -100) labelled++;
            float scale = 1f / labelled;
            try (Backward bw = new Backward(m, lora, 2, 32, 16, 2)) {
                Gradients g = Gradients.lora(m.config, lora);
                Gradients full = Gradients.full(m.config, m.vocabRows(), true);
                bw.run(TOKENS, LABELS, 0, 2, scale, g);
                try (Backward bwFull = new Backward(m, lora, 2, 32, 16, 2)) {
                    bwFull.run(TOKENS, LABELS, 0, 2, scale, full);
                }
                double worst = 0;
                for (int l = 0; l < m.config.layers(); l++) {
                    for (Projection p : Projection.values()) {
                        worst = Math.max(worst, check(bw, lora.a(l, p), g.loraA[l][p.ordinal()], 3, scale, "A " + l + p));
                        worst = Math.max(worst, check(bw, lora.b(l, p), g.loraB[l][p.ordinal()], 5, scale, "B " + l + p));
                    }
                    for (Norm n : Norm.values()) {
                        worst = Math.max(worst, check(bw, n.of(m.weights.layers[l]), full.norms[l][n.ordinal()], 2, scale, n + " " + l));
                    }
                }
                worst = Math.max(worst, check(bw, m.weights.outputNorm, full.outputNorm, 3, scale, "output norm"));
                assertTrue(worst < 2e-3, "worst |analytic - numeric| = " + worst);
            }
        }
    }

    private static double check(Backward bw, float[] param, float[] grad, int samples, float scale, String what) {
        double worst = 0;
        Gradients scratch = null;
        for (int k = 0; k < samples; k++) {
            int i = (int) ((k * 7919L + 13) % param.length);
            float keep = param[i], eps = 1e-2f;
            param[i] = keep + eps;
            double up = loss(bw, scale);
            param[i] = keep - eps;
            double down = loss(bw, scale);
            param[i] = keep;
            double numeric = (up - down) / (2 * eps);
            // f32 loss and a finite step: an absolute floor plus a relative part for the curvature
            double err = Math.abs(numeric - grad[i]) / (1 + 10 * Math.abs(numeric));
            if (err > 2e-3) System.err.println(what + "[" + i + "]: analytic " + grad[i] + " numeric " + numeric);
            worst = Math.max(worst, err);
        }
        return worst;
    }

    private static double loss(Backward bw, float scale) {
        return bw.loss(TOKENS, LABELS, 0, 2) * scale;
    }
}
