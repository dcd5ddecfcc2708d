package dev.jemma.generate;


/** The two steps every generation loop takes around the sampler when a constraint is in force. */
public final class ConstrainedSampling {
    private ConstrainedSampling() {
    }

    /**
     * Masks logits with the constraint; the stop tokens (end-of-turn, EOS) keep their logits only where the
     * constraint can stop. {@code saved} is scratch of stopIds.length.
     */
    public static void mask(TokenConstraint c, float[] logits, int[] stopIds, float[] saved) {
        for (int i = 0; i < stopIds.length; i++) saved[i] = logits[stopIds[i]];
        c.mask(logits);
        if (c.canStop()) for (int i = 0; i < stopIds.length; i++) logits[stopIds[i]] = saved[i];
    }

    /** The best token the mask left: used when the sampler's numeric fallback landed on a masked one. */
    public static int allowedArgmax(float[] logits) {
        int best = -1;
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] != Float.NEGATIVE_INFINITY && (best < 0 || logits[i] > logits[best])) best = i;
        }
        if (best < 0) throw new ConstraintException("the constraint allows no token here");
        return best;
    }
}
