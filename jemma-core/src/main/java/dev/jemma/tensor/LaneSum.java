package dev.jemma.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The sum of a vector's lanes in one fixed order. {@code reduceLanes(ADD)} leaves the order unspecified, and the
 * interpreter, C1 and C2 do sum in different orders, so a result could change in its last bits once the method is
 * compiled; a tree of lane-wise adds of rotated copies gives the same bits in every mode. The batch-invariant
 * arithmetic, and the kernels' one-token dot (which a speculative run's verification must reproduce to the bit),
 * depend on it.
 */
public final class LaneSum {
    private static final VectorShuffle<Float>[] R128 = rotations(FloatVector.SPECIES_128);
    private static final VectorShuffle<Float>[] R256 = rotations(FloatVector.SPECIES_256);
    private static final VectorShuffle<Float>[] R512 = rotations(FloatVector.SPECIES_512);

    private LaneSum() {
    }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] rotations(VectorSpecies<Float> f) {
        int steps = Integer.numberOfTrailingZeros(f.length());
        VectorShuffle<Float>[] r = new VectorShuffle[steps];
        for (int i = 0, w = f.length() / 2; i < steps; i++, w /= 2) r[i] = VectorShuffle.iota(f, w, 1, true);
        return r;
    }

    /** Σ lanes of v (4, 8 or 16 lanes): rotate by half, add, rotate by a quarter, add, ... */
    public static float sum(FloatVector v) {
        int n = v.length();
        VectorShuffle<Float>[] rot = n == 8 ? R256 : n == 16 ? R512 : R128;
        for (VectorShuffle<Float> r : rot) v = v.add(v.rearrange(r));
        return v.lane(0);
    }
}
