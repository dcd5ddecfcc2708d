package dev.jemma.model;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class OpsTest {
    /** The element-at-a-time form the vector loop must reproduce: f32 steps, tanh in double rounded to f32. */
    static float geluTanhMulScalar(float x, float up) {
        float g = 0.5f * x * (1f + (float) Math.tanh(0.7978845608028654f * (x + 0.044715f * x * x * x)));
        return g * up;
    }

    /**
     * The vectorized GELU against the scalar form on a million values over the range activations take (and the
     * tails, zero and both signs), at every start offset and length so the vector loop and its tail both run:
     * identical but for the rare f32 ties a double tanh's last bits can tip, and those one ulp apart.
     */
    @Test
    void vectorGeluIsTheScalarFormToTheUlp() {
        Random rnd = new Random(7);
        int n = 1 << 20;
        float[] gate = new float[n], up = new float[n];
        for (int i = 0; i < n; i++) {
            gate[i] = (float) (rnd.nextGaussian() * Math.exp(rnd.nextDouble(-6, 3)));
            up[i] = (float) rnd.nextGaussian();
        }
        gate[0] = 0f;
        gate[1] = -0f;
        gate[2] = 30f;
        gate[3] = -30f;
        float[] got = gate.clone();
        Ops.geluTanhMul(got, up, 5, n - 3);
        int differ = 0;
        for (int i = 0; i < n; i++) {
            float want = i < 5 || i >= n - 3 ? gate[i] : geluTanhMulScalar(gate[i], up[i]);
            if (Float.floatToRawIntBits(want) != Float.floatToRawIntBits(got[i])) {
                differ++;
                assertEquals(want, got[i], Math.ulp(want), "element " + i + " (x = " + gate[i] + ")");
            }
        }
        assertTrue(differ <= 10, differ + " of " + n + " differ from the scalar form");
    }
}
