package dev.jemma.model;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class OpsTest {
    /** The element-at-a-time form with the JDK's tanh: f32 steps, tanh in double rounded to f32. */
    static float geluTanhMulScalar(float x, float up) {
        float g = 0.5f * x * (1f + (float) Math.tanh(0.7978845608028654f * (x + 0.044715f * x * x * x)));
        return g * up;
    }

    /**
     * The GELU against the form with Math.tanh on a million values over the range activations take (and the tails,
     * zero, both signs, NaN and the infinities), at a start offset and length that leave a partial chunk: identical
     * but for the rare f32 ties that the last bits of a double tanh can tip, and those one ulp apart.
     */
    @Test
    void geluIsTheMathTanhFormToTheUlp() {
        Random rnd = new Random(7);
        int n = 1 << 20;
        float[] gate = new float[n], up = new float[n];
        for (int i = 0; i < n; i++) {
            gate[i] = (float) (rnd.nextGaussian() * Math.exp(rnd.nextDouble(-6, 3)));
            up[i] = (float) rnd.nextGaussian();
        }
        float[] special = {0f, -0f, 30f, -30f, 1e-30f, -1e-30f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        System.arraycopy(special, 0, gate, 5, special.length);
        float[] got = gate.clone();
        Ops.geluTanhMul(got, up, 5, n - 3, new double[Ops.GELU_CHUNK]);
        int differ = 0;
        for (int i = 0; i < n; i++) {
            float want = i < 5 || i >= n - 3 ? gate[i] : geluTanhMulScalar(gate[i], up[i]);
            if (Float.floatToRawIntBits(want) != Float.floatToRawIntBits(got[i])
                    && !(Float.isNaN(want) && Float.isNaN(got[i]))) {
                differ++;
                assertEquals(want, got[i], Math.ulp(want), "element " + i + " (x = " + gate[i] + ")");
            }
        }
        assertTrue(differ <= 10, differ + " of " + n + " differ from the Math.tanh form");
    }

    /** Ops.tanh against Math.tanh over twenty orders of magnitude and both signs, and at the clamp. */
    @Test
    void tanhIsWithinTheStatedErrorOfMathTanh() {
        Random rnd = new Random(11);
        for (int i = 0; i < 200_000; i++) {
            double u = (rnd.nextBoolean() ? 1 : -1) * Math.exp(rnd.nextDouble(-30, 4));
            double want = Math.tanh(u), got = Ops.tanh(u);
            assertEquals(want, got, 1e-13 * Math.abs(want) + 1e-300, "tanh(" + u + ")");
        }
        assertEquals(1.0, Ops.tanh(20.0));
        assertEquals(-1.0, Ops.tanh(-1e9));
        assertEquals(0.0, Ops.tanh(0.0));
        assertTrue(Double.isNaN(Ops.tanh(Double.NaN)));
    }

    /**
     * The softmax's exp against Math.exp over the range its arguments take (0 down to past f32's smallest
     * subnormal), rounded to f32 as the attention uses it: identical but for rare ties, those one ulp apart.
     */
    @Test
    void expIsMathExpInF32ButForTies() {
        Random rnd = new Random(13);
        int differ = 0, n = 1_000_000;
        for (int i = 0; i < n; i++) {
            double x = i < 4 ? new double[] {0.0, -0.0, -200.0, Double.NEGATIVE_INFINITY}[i]
                    : (float) (-rnd.nextDouble() * (i % 2 == 0 ? 20 : 120));
            double got = Ops.expNonPositive(x);
            if (x >= -110) assertEquals(Math.exp(x), got, 3e-13 * Math.exp(x), "exp(" + x + ")"); // unclamped
            float want = (float) Math.exp(x);
            if (want != (float) got) {
                differ++;
                assertEquals(want, (float) got, Math.ulp(want), "exp(" + x + ") in f32");
            }
        }
        assertTrue(differ <= 10, differ + " of " + n + " differ from Math.exp's f32");
        assertTrue(Double.isNaN(Ops.expNonPositive(Double.NaN)));
    }

    /** The vector form of the exp gives the scalar form's bits in every lane (the attention mixes the two). */
    @Test
    void vectorExpIsTheScalarExpToTheBit() {
        Random rnd = new Random(17);
        int lanes = Ops.D.length();
        double[] x = new double[lanes * 20_000], got = new double[x.length];
        for (int i = 0; i < x.length; i++) x[i] = (float) (-rnd.nextDouble() * (i % 3 == 0 ? 2 : 130));
        double[] special = {0.0, -0.0, -110.0, -110.5, Double.NEGATIVE_INFINITY, Double.NaN, -1e-30};
        System.arraycopy(special, 0, x, 0, special.length);
        for (int i = 0; i < x.length; i += lanes) {
            Ops.expNonPositive(jdk.incubator.vector.DoubleVector.fromArray(Ops.D, x, i)).intoArray(got, i);
        }
        for (int i = 0; i < x.length; i++) {
            assertEquals(Double.doubleToRawLongBits(Ops.expNonPositive(x[i])), Double.doubleToRawLongBits(got[i]), "exp(" + x[i] + ")");
        }
    }
}
