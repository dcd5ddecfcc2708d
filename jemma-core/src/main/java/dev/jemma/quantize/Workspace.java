package dev.jemma.quantize;

/**
 * The scratch one {@link Quantizers#quantize} call works in: made once per call, so quantizing allocates
 * nothing per block and two threads never share it. Sizes fit a 256-value super-block.
 */
final class Workspace {
    /** Levels of one super-block, or of the blocks one lane search covers. */
    final byte[] levels = new byte[Math.max(256, 32 * LaneSearch.LANES)];
    /** Sub-block scales and mins, and the weight of each sub-block when they are quantized in turn. */
    final float[] scales = new float[Math.max(16, LaneSearch.LANES)];
    final float[] mins = new float[Math.max(16, LaneSearch.LANES)];
    final float[] subWeights = new float[16];
    final byte[] scaleLevels = new byte[16];
    final byte[] minLevels = new byte[16];
    /** Groups transposed for {@link LaneSearch}: values, weights, importance, levels (32 values per lane), state. */
    final float[] xt = new float[32 * LaneSearch.LANES];
    final float[] wt = new float[32 * LaneSearch.LANES];
    final float[] qwt = new float[32 * LaneSearch.LANES];
    final float[] lt = new float[32 * LaneSearch.LANES];
    final float[] st = new float[16 * LaneSearch.LANES];
    /** One encoded row, copied to the destination as a whole. */
    final byte[] row;

    Workspace(int rowBytes) {
        row = new byte[rowBytes];
    }

    void putShort(int off, short v) {
        row[off] = (byte) v;
        row[off + 1] = (byte) (v >> 8);
    }

    void putInt(int off, int v) {
        row[off] = (byte) v;
        row[off + 1] = (byte) (v >> 8);
        row[off + 2] = (byte) (v >> 16);
        row[off + 3] = (byte) (v >> 24);
    }
}
