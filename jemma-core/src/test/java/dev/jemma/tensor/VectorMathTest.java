package dev.jemma.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * VectorMath against double-precision Math, and its vector code against its scalar twins bit for bit (a training
 * run's reproducibility relies on the two never differing).
 */
class VectorMathTest {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private static float[] inputs() {
        Random r = new Random(11);
        float[] x = new float[200_000];
        for (int i = 0; i < x.length; i++) {
            x[i] = switch (i % 4) {
                case 0 -> (float) (r.nextDouble() * 176 - 88);
                case 1 -> (float) r.nextGaussian() * 3;
                case 2 -> (float) r.nextGaussian() * 1e-3f;
                default -> (float) (r.nextDouble() * 40 - 20);
            };
        }
        x[0] = 0f;
        x[1] = -0f;
        x[2] = 88.3f;
        x[3] = -87.3f;
        x[4] = 1000f;
        x[5] = -1000f;
        return x;
    }

    @Test
    void expIsWithinThreeUlpsAndTheVectorEqualsTheScalar() {
        float[] x = inputs(), v = new float[x.length];
        int i = 0;
        for (; i + F.length() <= x.length; i += F.length()) VectorMath.exp(FloatVector.fromArray(F, x, i)).intoArray(v, i);
        for (; i < x.length; i++) v[i] = VectorMath.exp(x[i]);
        double worst = 0;
        for (int k = 0; k < x.length; k++) {
            float s = VectorMath.exp(x[k]);
            assertEquals(Float.floatToRawIntBits(s), Float.floatToRawIntBits(v[k]), "vector and scalar differ at " + x[k]);
            double clamped = Math.min(Math.max(x[k], -87.3f), 88.3f);
            double want = Math.exp(clamped);
            double ulps = Math.abs(s - want) / Math.ulp((float) want);
            worst = Math.max(worst, ulps);
        }
        assertTrue(worst <= 3, "worst error " + worst + " ulp");
        assertEquals(1f, VectorMath.exp(0f));
        assertTrue(Float.isFinite(VectorMath.exp(1000f)) && VectorMath.exp(-1000f) > 0);
    }
}
