package dev.jemma.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The sum of a vector's lanes in one fixed order. {@code reduceLanes(ADD)} leaves the order unspecified, and the
 * interpreter and compiled code do sum in different orders, so a result could change in its last bits once the
 * method is compiled; a tree of lane-wise adds of rotated copies gives the same bits in every mode. The
 * batch-invariant arithmetic depends on it, and the kernels end their sums the same way ({@code BlockKernel.sum}).
 */
public final class LaneSum {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** rotations by half, a quarter, ... of the lanes */
    private static final VectorShuffle<Float>[] ROTATIONS = rotations();

    private LaneSum() {
    }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] rotations() {
        int steps = Integer.numberOfTrailingZeros(F.length());
        VectorShuffle<Float>[] r = new VectorShuffle[steps];
        for (int i = 0, w = F.length() / 2; i < steps; i++, w /= 2) r[i] = VectorShuffle.iota(F, w, 1, true);
        return r;
    }

    public static float sum(FloatVector v) {
        for (VectorShuffle<Float> r : ROTATIONS) v = v.add(v.rearrange(r));
        return v.lane(0);
    }
}
