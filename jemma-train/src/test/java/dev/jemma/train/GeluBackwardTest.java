package dev.jemma.train;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** The gated GELU's backward against the derivative of the tanh form in double, and its vector loop against its tail. */
class GeluBackwardTest {
    @Test
    void matchesTheDoublePrecisionDerivative() {
        Random r = new Random(5);
        int n = 100_003;
        float[] gate = new float[n], up = new float[n], dAct = new float[n];
        for (int i = 0; i < n; i++) {
            gate[i] = (float) (i % 3 == 0 ? r.nextGaussian() * 6 : r.nextGaussian());
            up[i] = (float) r.nextGaussian();
            dAct[i] = (float) r.nextGaussian();
        }
        gate[0] = 0f;
        gate[1] = 30f;
        gate[2] = -30f;
        float[] dGate = new float[n], dUp = new float[n], dGate1 = new float[n], dUp1 = new float[n];
        Backward.geluBackward(gate, up, dAct, dGate, dUp, 0, n);
        // one element at a time: every element through the scalar tail
        for (int i = 0; i < n; i++) Backward.geluBackward(gate, up, dAct, dGate1, dUp1, i, i + 1);
        double c = Math.sqrt(2 / Math.PI);
        for (int i = 0; i < n; i++) {
            assertEquals(Float.floatToRawIntBits(dGate[i]), Float.floatToRawIntBits(dGate1[i]), "vector and tail differ at " + gate[i]);
            assertEquals(Float.floatToRawIntBits(dUp[i]), Float.floatToRawIntBits(dUp1[i]), "vector and tail differ at " + gate[i]);
            double x = gate[i], u = c * (x + 0.044715 * x * x * x);
            double e = Math.exp(Math.min(-2 * u, 700)), s = 1 / (1 + e), oneMinusS = e * s;
            double slope = 2 * x * s * oneMinusS * c * (1 + 3 * 0.044715 * x * x);
            double gelu = x * s, dgelu = s + slope;
            double wantGate = dAct[i] * up[i] * dgelu, wantUp = dAct[i] * gelu;
            // f32 rounding of u (relative 6e-8) moves e^(−2u) by 2|u| times as much
            double tol = 4e-7 * (1 + 2 * Math.abs(u));
            // gelu' crosses zero near x = −0.75, where its two terms cancel: the error scales with the terms
            double gateScale = Math.abs(dAct[i] * up[i]) * (s + Math.abs(slope));
            assertEquals(wantGate, dGate[i], tol * gateScale + 1e-30, "dGate at " + x);
            assertEquals(wantUp, dUp[i], tol * Math.abs(wantUp) + 1e-30, "dUp at " + x);
        }
    }
}
