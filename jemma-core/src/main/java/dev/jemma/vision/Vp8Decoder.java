package dev.jemma.vision;

import java.util.Arrays;

/**
 * A VP8 key frame (the lossy image inside a WebP file) decoded to 4:2:0 Y, U and V planes, bit for bit as the VP8
 * specification (RFC 6386) defines it and libwebp decodes it: frame header, segment, loop-filter and quantizer
 * headers, token probabilities, per-macroblock intra modes and DCT/WHT residuals, intra prediction from the
 * unfiltered reconstruction, then the in-loop filter over the whole frame in macroblock order. Colour conversion is
 * {@link YuvToRgb}'s.
 *
 * <p>Mode numbers: 0 DC, 1 TM, 2 VE (vertical), 3 HE (horizontal), then the 4×4-only RD, VR, LD, VL, HD, HU
 * (libwebp's order, which the mode-probability table is indexed in); a 16×16 or chroma mode uses the first four.
 */
final class Vp8Decoder {
    private static final int DC = 0, TM = 1, VE = 2, HE = 3, RD = 4, VR = 5, LD = 6, VL = 7, HD = 8, HU = 9;

    /**
     * The decoded planes: Y is {@code stride} wide, U and V {@code stride / 2}; rows beyond the image are padding.
     * The coding tools the frame used come along (for tests that show which ones a set of files covers).
     */
    record Planes(int width, int height, int stride, byte[] y, byte[] u, byte[] v, Tools tools) {
        int uvStride() {
            return stride / 2;
        }
    }

    /** Loop filter (0 off, 1 simple, 2 normal), its sharpness, token partitions, segment map, macroblock kinds. */
    record Tools(int filter, int sharpness, int partitions, boolean segmentMap, boolean skipFlags, boolean i4x4, boolean i16x16) {}

    /** The width and height a VP8 frame header declares, without decoding it. */
    static int[] size(byte[] d, int off, int len) {
        if (len < 10) throw new ImageInputException("the WebP image is truncated (VP8 frame header)");
        if ((d[off] & 1) != 0) throw new ImageInputException("the WebP image's VP8 frame is not a key frame");
        if ((d[off + 3] & 0xFF) != 0x9d || (d[off + 4] & 0xFF) != 0x01 || (d[off + 5] & 0xFF) != 0x2a) {
            throw new ImageInputException("the WebP image's VP8 data has no key-frame start code");
        }
        int w = ((d[off + 7] & 0xFF) << 8 | (d[off + 6] & 0xFF)) & 0x3fff;
        int h = ((d[off + 9] & 0xFF) << 8 | (d[off + 8] & 0xFF)) & 0x3fff;
        return new int[]{w, h};
    }

    // per frame
    private final byte[] d;
    private int mbW, mbH;
    private Vp8BoolDecoder br;
    private Vp8BoolDecoder[] parts;
    private boolean useSegment, updateMap, absoluteDelta = true;
    private final int[] segQuant = new int[4], segFilter = new int[4], segProbs = {255, 255, 255};
    private boolean simpleFilter;
    private int filterLevel, sharpness;
    private boolean useLfDelta;
    private final int[] refLfDelta = new int[4], modeLfDelta = new int[4];
    private final int[][] y1 = new int[4][2], y2 = new int[4][2], uv = new int[4][2];
    private final int[] probs = new int[4 * 8 * 3 * 11];
    private boolean useSkip;
    private int skipProb;

    // per macroblock (the current one) and its neighbours' contexts
    private int[] intraTop;
    private final int[] intraLeft = new int[4];
    private int[] nzTopY, nzTopU, nzTopV, nzTopDc;
    private final int[] nzLeftY = new int[4], nzLeftU = new int[2], nzLeftV = new int[2];
    private int nzLeftDc;
    private final int[] coeffs = new int[384];
    /** scratch: the second-order DC block, the transforms' intermediate rows, a macroblock's top-right samples */
    private final int[] dc = new int[16], tmp = new int[16], topRight = new int[4];
    private final int[] modes = new int[16];
    /** per macroblock: segment, 4×4 or not, has coefficients (for the loop filter) */
    private byte[] mbSegment;
    private boolean[] mbI4, mbCoded;

    private byte[] yp, up, vp;
    private int ys, uvs;

    private Vp8Decoder(byte[] d) {
        this.d = d;
    }

    /** Decodes the VP8 frame in {@code d[off, off + len)}. */
    static Planes decode(byte[] d, int off, int len) {
        return new Vp8Decoder(d).run(off, len);
    }

    private Planes run(int off, int len) {
        int[] wh = size(d, off, len);
        int bits = (d[off] & 0xFF) | (d[off + 1] & 0xFF) << 8 | (d[off + 2] & 0xFF) << 16;
        int profile = (bits >> 1) & 7, partLen = bits >>> 5;
        if (profile > 3) throw new ImageInputException("the WebP image's VP8 profile " + profile + " is not defined");
        if ((bits >> 4 & 1) == 0) throw new ImageInputException("the WebP image's VP8 frame is marked not to be shown");
        int width = wh[0], height = wh[1];
        if (width == 0 || height == 0) throw new ImageInputException("the WebP image has no pixels (" + width + "×" + height + ")");
        mbW = (width + 15) >> 4;
        mbH = (height + 15) >> 4;
        int p0 = off + 10, end = off + len;
        if (partLen > end - p0) throw new ImageInputException("the WebP image is truncated (VP8 first partition)");
        br = new Vp8BoolDecoder(d, p0, p0 + partLen);
        br.flag(); // colour space: only 0 is defined, and decoders ignore it
        br.flag(); // clamping type: reconstruction always clamps
        parseSegmentHeader();
        parseFilterHeader();
        parsePartitions(p0 + partLen, end);
        parseQuantizers();
        br.flag(); // refresh_entropy_probs: one frame, nothing to keep
        for (int i = 0; i < probs.length; i++) {
            probs[i] = br.bit(Vp8Tables.COEFF_UPDATE[i]) == 1 ? br.literal(8) : Vp8Tables.COEFF_DEFAULT[i];
        }
        useSkip = br.flag();
        if (useSkip) skipProb = br.literal(8);

        ys = mbW * 16;
        uvs = mbW * 8;
        yp = new byte[ys * mbH * 16];
        up = new byte[uvs * mbH * 8];
        vp = new byte[uvs * mbH * 8];
        intraTop = new int[mbW * 4];
        nzTopY = new int[mbW * 4];
        nzTopU = new int[mbW * 2];
        nzTopV = new int[mbW * 2];
        nzTopDc = new int[mbW];
        mbSegment = new byte[mbW * mbH];
        mbI4 = new boolean[mbW * mbH];
        mbCoded = new boolean[mbW * mbH];
        for (int my = 0; my < mbH; my++) {
            Arrays.fill(intraLeft, DC);
            Arrays.fill(nzLeftY, 0);
            Arrays.fill(nzLeftU, 0);
            Arrays.fill(nzLeftV, 0);
            nzLeftDc = 0;
            Vp8BoolDecoder tokens = parts[my & (parts.length - 1)];
            for (int mx = 0; mx < mbW; mx++) macroblock(mx, my, tokens);
        }
        if (filterLevel > 0) loopFilter();
        boolean anyI4 = false, anyI16 = false;
        for (boolean b : mbI4) {
            anyI4 |= b;
            anyI16 |= !b;
        }
        Tools tools = new Tools(filterLevel == 0 ? 0 : simpleFilter ? 1 : 2, sharpness, parts.length, updateMap, useSkip, anyI4, anyI16);
        return new Planes(width, height, ys, yp, up, vp, tools);
    }

    // ---- headers (RFC 6386 section 9) ----

    private void parseSegmentHeader() {
        useSegment = br.flag();
        if (!useSegment) return;
        updateMap = br.flag();
        if (br.flag()) { // update segment data
            absoluteDelta = br.flag();
            for (int s = 0; s < 4; s++) segQuant[s] = br.flag() ? br.signedLiteral(7) : 0;
            for (int s = 0; s < 4; s++) segFilter[s] = br.flag() ? br.signedLiteral(6) : 0;
        }
        if (updateMap) for (int s = 0; s < 3; s++) segProbs[s] = br.flag() ? br.literal(8) : 255;
    }

    private void parseFilterHeader() {
        simpleFilter = br.flag();
        filterLevel = br.literal(6);
        sharpness = br.literal(3);
        useLfDelta = br.flag();
        if (useLfDelta && br.flag()) {
            for (int i = 0; i < 4; i++) if (br.flag()) refLfDelta[i] = br.signedLiteral(6);
            for (int i = 0; i < 4; i++) if (br.flag()) modeLfDelta[i] = br.signedLiteral(6);
        }
    }

    private void parsePartitions(int start, int end) {
        int count = 1 << br.literal(2);
        int sizes = start, data = start + 3 * (count - 1);
        if (data > end) throw new ImageInputException("the WebP image is truncated (VP8 partition sizes)");
        parts = new Vp8BoolDecoder[count];
        for (int p = 0; p < count - 1; p++) {
            int size = (d[sizes] & 0xFF) | (d[sizes + 1] & 0xFF) << 8 | (d[sizes + 2] & 0xFF) << 16;
            sizes += 3;
            size = Math.min(size, end - data);
            parts[p] = new Vp8BoolDecoder(d, data, data + size);
            data += size;
        }
        if (data >= end) throw new ImageInputException("the WebP image is truncated (VP8 token partitions)");
        parts[count - 1] = new Vp8BoolDecoder(d, data, end);
    }

    private void parseQuantizers() {
        int base = br.literal(7);
        int dy1Dc = br.flag() ? br.signedLiteral(4) : 0;
        int dy2Dc = br.flag() ? br.signedLiteral(4) : 0;
        int dy2Ac = br.flag() ? br.signedLiteral(4) : 0;
        int duvDc = br.flag() ? br.signedLiteral(4) : 0;
        int duvAc = br.flag() ? br.signedLiteral(4) : 0;
        for (int s = 0; s < 4; s++) {
            int q = useSegment ? segQuant[s] + (absoluteDelta ? 0 : base) : base;
            y1[s][0] = Vp8Tables.DC_Q[clip(q + dy1Dc, 127)];
            y1[s][1] = Vp8Tables.AC_Q[clip(q, 127)];
            y2[s][0] = Vp8Tables.DC_Q[clip(q + dy2Dc, 127)] * 2;
            // × 155 / 100, the specification's factor, with at least 8
            y2[s][1] = Math.max(8, Vp8Tables.AC_Q[clip(q + dy2Ac, 127)] * 155 / 100);
            uv[s][0] = Vp8Tables.DC_Q[clip(q + duvDc, 117)];
            uv[s][1] = Vp8Tables.AC_Q[clip(q + duvAc, 127)];
        }
    }

    private static int clip(int v, int max) {
        return v < 0 ? 0 : Math.min(v, max);
    }

    // ---- one macroblock: modes (first partition), residuals (token partition), reconstruction ----

    private void macroblock(int mx, int my, Vp8BoolDecoder tokens) {
        int segment = 0;
        if (updateMap) segment = br.bit(segProbs[0]) == 0 ? br.bit(segProbs[1]) : 2 + br.bit(segProbs[2]);
        boolean skip = useSkip && br.bit(skipProb) == 1;
        boolean i4 = br.bit(145) == 0;
        int yMode = DC;
        if (!i4) {
            yMode = br.bit(156) == 1 ? (br.bit(128) == 1 ? TM : HE) : (br.bit(163) == 1 ? VE : DC);
            Arrays.fill(intraTop, mx * 4, mx * 4 + 4, yMode);
            Arrays.fill(intraLeft, yMode);
        } else {
            for (int y = 0; y < 4; y++) {
                int left = intraLeft[y];
                for (int x = 0; x < 4; x++) {
                    left = subblockMode(intraTop[mx * 4 + x], left);
                    intraTop[mx * 4 + x] = left;
                    modes[y * 4 + x] = left;
                }
                intraLeft[y] = left;
            }
        }
        int uvMode = br.bit(142) == 0 ? DC : br.bit(114) == 0 ? VE : br.bit(183) == 1 ? TM : HE;

        Arrays.fill(coeffs, 0);
        if (!skip) {
            residuals(tokens, mx, segment, i4);
        } else {
            Arrays.fill(nzTopY, mx * 4, mx * 4 + 4, 0);
            Arrays.fill(nzLeftY, 0);
            Arrays.fill(nzTopU, mx * 2, mx * 2 + 2, 0);
            Arrays.fill(nzLeftU, 0);
            Arrays.fill(nzTopV, mx * 2, mx * 2 + 2, 0);
            Arrays.fill(nzLeftV, 0);
            if (!i4) nzTopDc[mx] = nzLeftDc = 0;
        }
        int m = my * mbW + mx;
        mbSegment[m] = (byte) segment;
        mbI4[m] = i4;
        boolean coded = false;
        for (int c : coeffs) if (c != 0) { coded = true; break; }
        mbCoded[m] = coded;
        reconstruct(mx, my, i4, yMode, uvMode);
    }

    /** The 4×4 mode tree, with probabilities chosen by the modes above and to the left. */
    private int subblockMode(int above, int left) {
        int p = (above * 10 + left) * 9;
        int[] t = Vp8Tables.BMODE;
        if (br.bit(t[p]) == 0) return DC;
        if (br.bit(t[p + 1]) == 0) return TM;
        if (br.bit(t[p + 2]) == 0) return VE;
        if (br.bit(t[p + 3]) == 0) {
            if (br.bit(t[p + 4]) == 0) return HE;
            return br.bit(t[p + 5]) == 0 ? RD : VR;
        }
        if (br.bit(t[p + 6]) == 0) return LD;
        if (br.bit(t[p + 7]) == 0) return VL;
        return br.bit(t[p + 8]) == 0 ? HD : HU;
    }

    private void residuals(Vp8BoolDecoder t, int mx, int segment, boolean i4) {
        int first;
        int acType;
        if (!i4) {
            Arrays.fill(dc, 0);
            int nz = tokens(t, 1, nzTopDc[mx] + nzLeftDc, y2[segment], 0, dc, 0);
            nzTopDc[mx] = nzLeftDc = nz > 0 ? 1 : 0;
            inverseWalshHadamard(dc);
            first = 1;
            acType = 0;
        } else {
            first = 0;
            acType = 3;
        }
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                int ctx = nzLeftY[y] + nzTopY[mx * 4 + x];
                int nz = tokens(t, acType, ctx, y1[segment], first, coeffs, (y * 4 + x) * 16);
                nzLeftY[y] = nzTopY[mx * 4 + x] = nz > first ? 1 : 0;
            }
        }
        for (int plane = 0; plane < 2; plane++) {
            int[] top = plane == 0 ? nzTopU : nzTopV, left = plane == 0 ? nzLeftU : nzLeftV;
            for (int y = 0; y < 2; y++) {
                for (int x = 0; x < 2; x++) {
                    int nz = tokens(t, 2, left[y] + top[mx * 2 + x], uv[segment], 0, coeffs, 256 + plane * 64 + (y * 2 + x) * 16);
                    left[y] = top[mx * 2 + x] = nz > 0 ? 1 : 0;
                }
            }
        }
    }

    /**
     * The tokens of one 4×4 block from position {@code n} (RFC 6386 section 13), dequantized into {@code out[off..]}
     * in raster order. Returns the position after the last token read that was not a block end (0 … 16).
     */
    private int tokens(Vp8BoolDecoder t, int type, int ctx, int[] dq, int n, int[] out, int off) {
        int p = prob(type, n, ctx);
        for (; n < 16; n++) {
            if (t.bit(probs[p]) == 0) return n; // end of block
            while (t.bit(probs[p + 1]) == 0) { // a zero
                if (++n == 16) return 16;
                p = prob(type, n, 0);
            }
            int v;
            int next;
            if (t.bit(probs[p + 2]) == 0) {
                v = 1;
                next = 1;
            } else {
                v = largeValue(t, p);
                next = 2;
            }
            int sign = t.bit(128);
            // stored in 16 bits, as libwebp keeps coefficients (only a corrupt stream overflows)
            out[off + Vp8Tables.ZIGZAG[n]] = (short) ((sign == 1 ? -v : v) * dq[n > 0 ? 1 : 0]);
            p = prob(type, n + 1, next);
        }
        return 16;
    }

    private static int prob(int type, int n, int ctx) {
        return ((type * 8 + Vp8Tables.BANDS[n]) * 3 + ctx) * 11;
    }

    private int largeValue(Vp8BoolDecoder t, int p) {
        if (t.bit(probs[p + 3]) == 0) {
            if (t.bit(probs[p + 4]) == 0) return 2;
            return 3 + t.bit(probs[p + 5]);
        }
        if (t.bit(probs[p + 6]) == 0) {
            if (t.bit(probs[p + 7]) == 0) return 5 + t.bit(159);
            int v = 7 + 2 * t.bit(165);
            return v + t.bit(145);
        }
        int bit1 = t.bit(probs[p + 8]);
        int bit0 = t.bit(probs[p + 9 + bit1]);
        int cat = 2 * bit1 + bit0;
        int v = 0;
        for (int prob : Vp8Tables.CAT_PROBS[cat]) v = 2 * v + t.bit(prob);
        return v + 3 + (8 << cat);
    }

    /** The inverse Walsh–Hadamard transform of the second-order DC block into each luma block's coefficient 0. */
    private void inverseWalshHadamard(int[] in) {
        for (int i = 0; i < 4; i++) {
            int a0 = in[i] + in[12 + i], a1 = in[4 + i] + in[8 + i];
            int a2 = in[4 + i] - in[8 + i], a3 = in[i] - in[12 + i];
            tmp[i] = a0 + a1;
            tmp[8 + i] = a0 - a1;
            tmp[4 + i] = a3 + a2;
            tmp[12 + i] = a3 - a2;
        }
        for (int i = 0; i < 4; i++) {
            int dc = tmp[i * 4] + 3;
            int a0 = dc + tmp[3 + i * 4], a1 = tmp[1 + i * 4] + tmp[2 + i * 4];
            int a2 = tmp[1 + i * 4] - tmp[2 + i * 4], a3 = dc - tmp[3 + i * 4];
            int o = i * 4 * 16;
            coeffs[o] = (short) ((a0 + a1) >> 3);
            coeffs[o + 16] = (short) ((a3 + a2) >> 3);
            coeffs[o + 32] = (short) ((a0 - a1) >> 3);
            coeffs[o + 48] = (short) ((a3 - a2) >> 3);
        }
    }

    // ---- reconstruction: prediction plus inverse DCT ----

    private final int[] top = new int[20], left = new int[16];
    private final int[] block = new int[256];

    private void reconstruct(int mx, int my, boolean i4, int yMode, int uvMode) {
        int x0 = mx * 16, y0 = my * 16;
        if (!i4) {
            edges(yp, ys, x0, y0, 16);
            predict(yMode, 16, mx == 0, my == 0);
            store(yp, ys, x0, y0, 16);
            for (int b = 0; b < 16; b++) inverseDct(coeffs, b * 16, yp, ys, x0 + (b & 3) * 4, y0 + (b >> 2) * 4);
        } else {
            // the macroblock's top-right 4 pixels serve every right-column subblock
            for (int i = 0; i < 4; i++) {
                topRight[i] = my == 0 ? 127 : mx == mbW - 1 ? yp[(y0 - 1) * ys + x0 + 15] & 0xFF : yp[(y0 - 1) * ys + x0 + 16 + i] & 0xFF;
            }
            for (int b = 0; b < 16; b++) {
                int bx = x0 + (b & 3) * 4, by = y0 + (b >> 2) * 4;
                edges(yp, ys, bx, by, 4);
                for (int i = 0; i < 4; i++) {
                    top[5 + i] = (b & 3) == 3 ? topRight[i] : by == 0 ? 127 : yp[(by - 1) * ys + bx + 4 + i] & 0xFF;
                }
                predict4(modes[b]);
                store(yp, ys, bx, by, 4);
                inverseDct(coeffs, b * 16, yp, ys, bx, by);
            }
        }
        for (int plane = 0; plane < 2; plane++) {
            byte[] p = plane == 0 ? up : vp;
            int cx = mx * 8, cy = my * 8;
            edges(p, uvs, cx, cy, 8);
            predict(uvMode, 8, mx == 0, my == 0);
            store(p, uvs, cx, cy, 8);
            for (int b = 0; b < 4; b++) inverseDct(coeffs, 256 + plane * 64 + b * 16, p, uvs, cx + (b & 1) * 4, cy + (b >> 1) * 4);
        }
    }

    /**
     * The samples around a size×size block at (x0, y0): top[0] the top-left corner, top[1..size] the row above,
     * left[0..size) the column to the left. Above the frame they are 127, left of it 129 (the corner above the
     * frame's first row 127 too), as the specification extends the frame.
     */
    private void edges(byte[] p, int stride, int x0, int y0, int size) {
        for (int i = -1; i < size; i++) {
            int x = x0 + i;
            top[1 + i] = y0 == 0 ? 127 : x < 0 ? 129 : p[(y0 - 1) * stride + x] & 0xFF;
        }
        for (int j = 0; j < size; j++) left[j] = x0 == 0 ? 129 : p[(y0 + j) * stride + x0 - 1] & 0xFF;
    }

    private void predict(int mode, int size, boolean noLeft, boolean noTop) {
        switch (mode) {
            case DC -> {
                int shift = size == 16 ? 4 : 3;
                int v;
                if (noTop && noLeft) v = 128;
                else if (noTop) v = (sum(left, 0, size) + (1 << (shift - 1))) >> shift;
                else if (noLeft) v = (sum(top, 1, size) + (1 << (shift - 1))) >> shift;
                else v = (sum(left, 0, size) + sum(top, 1, size) + (1 << shift)) >> (shift + 1);
                Arrays.fill(block, 0, size * size, v);
            }
            case TM -> {
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) block[y * size + x] = clip255(left[y] + top[1 + x] - top[0]);
                }
            }
            case VE -> {
                for (int y = 0; y < size; y++) System.arraycopy(top, 1, block, y * size, size);
            }
            case HE -> {
                for (int y = 0; y < size; y++) Arrays.fill(block, y * size, y * size + size, left[y]);
            }
            default -> throw new IllegalStateException("mode " + mode);
        }
    }

    private static int sum(int[] a, int from, int n) {
        int s = 0;
        for (int i = 0; i < n; i++) s += a[from + i];
        return s;
    }

    /** The ten 4×4 predictions (RFC 6386 section 12.3); top[1..8] holds the 8 samples above and to the right. */
    private void predict4(int mode) {
        int x = top[0], a = top[1], b = top[2], c = top[3], d = top[4], e = top[5], f = top[6], g = top[7], h = top[8];
        int i = left[0], j = left[1], k = left[2], l = left[3];
        int[] o = block;
        switch (mode) {
            case DC -> Arrays.fill(o, 0, 16, (a + b + c + d + i + j + k + l + 4) >> 3);
            case TM -> {
                for (int r = 0; r < 4; r++) for (int q = 0; q < 4; q++) o[r * 4 + q] = clip255(left[r] + top[1 + q] - x);
            }
            case VE -> {
                int v0 = avg3(x, a, b), v1 = avg3(a, b, c), v2 = avg3(b, c, d), v3 = avg3(c, d, e);
                for (int r = 0; r < 4; r++) {
                    o[r * 4] = v0;
                    o[r * 4 + 1] = v1;
                    o[r * 4 + 2] = v2;
                    o[r * 4 + 3] = v3;
                }
            }
            case HE -> {
                Arrays.fill(o, 0, 4, avg3(x, i, j));
                Arrays.fill(o, 4, 8, avg3(i, j, k));
                Arrays.fill(o, 8, 12, avg3(j, k, l));
                Arrays.fill(o, 12, 16, avg3(k, l, l));
            }
            case RD -> {
                set(o, avg3(j, k, l), 0, 3);
                set(o, avg3(i, j, k), 1, 3, 0, 2);
                set(o, avg3(x, i, j), 2, 3, 1, 2, 0, 1);
                set(o, avg3(a, x, i), 3, 3, 2, 2, 1, 1, 0, 0);
                set(o, avg3(b, a, x), 3, 2, 2, 1, 1, 0);
                set(o, avg3(c, b, a), 3, 1, 2, 0);
                set(o, avg3(d, c, b), 3, 0);
            }
            case LD -> {
                set(o, avg3(a, b, c), 0, 0);
                set(o, avg3(b, c, d), 1, 0, 0, 1);
                set(o, avg3(c, d, e), 2, 0, 1, 1, 0, 2);
                set(o, avg3(d, e, f), 3, 0, 2, 1, 1, 2, 0, 3);
                set(o, avg3(e, f, g), 3, 1, 2, 2, 1, 3);
                set(o, avg3(f, g, h), 3, 2, 2, 3);
                set(o, avg3(g, h, h), 3, 3);
            }
            case VR -> {
                set(o, avg2(x, a), 0, 0, 1, 2);
                set(o, avg2(a, b), 1, 0, 2, 2);
                set(o, avg2(b, c), 2, 0, 3, 2);
                set(o, avg2(c, d), 3, 0);
                set(o, avg3(k, j, i), 0, 3);
                set(o, avg3(j, i, x), 0, 2);
                set(o, avg3(i, x, a), 0, 1, 1, 3);
                set(o, avg3(x, a, b), 1, 1, 2, 3);
                set(o, avg3(a, b, c), 2, 1, 3, 3);
                set(o, avg3(b, c, d), 3, 1);
            }
            case VL -> {
                set(o, avg2(a, b), 0, 0);
                set(o, avg2(b, c), 1, 0, 0, 2);
                set(o, avg2(c, d), 2, 0, 1, 2);
                set(o, avg2(d, e), 3, 0, 2, 2);
                set(o, avg3(a, b, c), 0, 1);
                set(o, avg3(b, c, d), 1, 1, 0, 3);
                set(o, avg3(c, d, e), 2, 1, 1, 3);
                set(o, avg3(d, e, f), 3, 1, 2, 3);
                set(o, avg3(e, f, g), 3, 2);
                set(o, avg3(f, g, h), 3, 3);
            }
            case HD -> {
                set(o, avg2(i, x), 0, 0, 2, 1);
                set(o, avg2(j, i), 0, 1, 2, 2);
                set(o, avg2(k, j), 0, 2, 2, 3);
                set(o, avg2(l, k), 0, 3);
                set(o, avg3(a, b, c), 3, 0);
                set(o, avg3(x, a, b), 2, 0);
                set(o, avg3(i, x, a), 1, 0, 3, 1);
                set(o, avg3(j, i, x), 1, 1, 3, 2);
                set(o, avg3(k, j, i), 1, 2, 3, 3);
                set(o, avg3(l, k, j), 1, 3);
            }
            case HU -> {
                set(o, avg2(i, j), 0, 0);
                set(o, avg2(j, k), 2, 0, 0, 1);
                set(o, avg2(k, l), 2, 1, 0, 2);
                set(o, avg3(i, j, k), 1, 0);
                set(o, avg3(j, k, l), 3, 0, 1, 1);
                set(o, avg3(k, l, l), 3, 1, 1, 2);
                set(o, l, 3, 2, 2, 2, 0, 3, 1, 3, 2, 3, 3, 3);
            }
            default -> throw new IllegalStateException("mode " + mode);
        }
    }

    /** Sets the 4×4 block's samples at the (x, y) pairs to v. */
    private static void set(int[] o, int v, int... xy) {
        for (int n = 0; n < xy.length; n += 2) o[xy[n + 1] * 4 + xy[n]] = v;
    }

    private static int avg3(int a, int b, int c) {
        return (a + 2 * b + c + 2) >> 2;
    }

    private static int avg2(int a, int b) {
        return (a + b + 1) >> 1;
    }

    private static int clip255(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }

    private void store(byte[] p, int stride, int x0, int y0, int size) {
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) p[(y0 + y) * stride + x0 + x] = (byte) block[y * size + x];
        }
    }

    /** Adds the inverse DCT of a 4×4 block of dequantized coefficients to the prediction at (x0, y0). */
    private void inverseDct(int[] in, int off, byte[] p, int stride, int x0, int y0) {
        boolean any = false;
        for (int i = 0; i < 16; i++) if (in[off + i] != 0) { any = true; break; }
        if (!any) return;
        for (int i = 0; i < 4; i++) { // vertical pass
            int a = in[off + i] + in[off + 8 + i];
            int b = in[off + i] - in[off + 8 + i];
            int c = mul2(in[off + 4 + i]) - mul1(in[off + 12 + i]);
            int d = mul1(in[off + 4 + i]) + mul2(in[off + 12 + i]);
            tmp[i * 4] = a + d;
            tmp[i * 4 + 1] = b + c;
            tmp[i * 4 + 2] = b - c;
            tmp[i * 4 + 3] = a - d;
        }
        for (int i = 0; i < 4; i++) { // horizontal pass, one output row each
            int dc = tmp[i] + 4;
            int a = dc + tmp[8 + i];
            int b = dc - tmp[8 + i];
            int c = mul2(tmp[4 + i]) - mul1(tmp[12 + i]);
            int d = mul1(tmp[4 + i]) + mul2(tmp[12 + i]);
            int row = (y0 + i) * stride + x0;
            p[row] = (byte) clip255((p[row] & 0xFF) + ((a + d) >> 3));
            p[row + 1] = (byte) clip255((p[row + 1] & 0xFF) + ((b + c) >> 3));
            p[row + 2] = (byte) clip255((p[row + 2] & 0xFF) + ((b - c) >> 3));
            p[row + 3] = (byte) clip255((p[row + 3] & 0xFF) + ((a - d) >> 3));
        }
    }

    /** x · √2 · cos(π/8) in the specification's 16-bit fixed point */
    private static int mul1(int x) {
        return ((x * 20091) >> 16) + x;
    }

    /** x · √2 · sin(π/8) */
    private static int mul2(int x) {
        return (x * 35468) >> 16;
    }

    // ---- the loop filter (RFC 6386 section 15), per macroblock in raster order ----

    private void loopFilter() {
        int[][] limit = new int[4][2], inner = new int[4][2], hevThreshold = new int[4][2];
        for (int s = 0; s < 4; s++) {
            int base = useSegment ? segFilter[s] + (absoluteDelta ? 0 : filterLevel) : filterLevel;
            for (int i4 = 0; i4 <= 1; i4++) {
                int level = base;
                if (useLfDelta) {
                    level += refLfDelta[0];
                    if (i4 == 1) level += modeLfDelta[0];
                }
                level = level < 0 ? 0 : Math.min(level, 63);
                if (level == 0) continue; // limit 0: not filtered
                int ilevel = level;
                if (sharpness > 0) {
                    ilevel >>= sharpness > 4 ? 2 : 1;
                    ilevel = Math.min(ilevel, 9 - sharpness);
                }
                ilevel = Math.max(ilevel, 1);
                inner[s][i4] = ilevel;
                limit[s][i4] = 2 * level + ilevel;
                hevThreshold[s][i4] = level >= 40 ? 2 : level >= 15 ? 1 : 0;
            }
        }
        for (int my = 0; my < mbH; my++) {
            for (int mx = 0; mx < mbW; mx++) {
                int m = my * mbW + mx, s = mbSegment[m], i4 = mbI4[m] ? 1 : 0;
                int lim = limit[s][i4];
                if (lim == 0) continue;
                boolean innerEdges = mbI4[m] || mbCoded[m];
                int il = inner[s][i4], hev = hevThreshold[s][i4];
                int yo = my * 16 * ys + mx * 16, uo = my * 8 * uvs + mx * 8;
                if (simpleFilter) {
                    if (mx > 0) simpleEdge(yp, yo, 1, ys, lim + 4);
                    if (innerEdges) for (int e = 4; e < 16; e += 4) simpleEdge(yp, yo + e, 1, ys, lim);
                    if (my > 0) simpleEdge(yp, yo, ys, 1, lim + 4);
                    if (innerEdges) for (int e = 4; e < 16; e += 4) simpleEdge(yp, yo + e * ys, ys, 1, lim);
                } else {
                    if (mx > 0) {
                        edge(yp, yo, 1, ys, 16, lim + 4, il, hev, true);
                        edge(up, uo, 1, uvs, 8, lim + 4, il, hev, true);
                        edge(vp, uo, 1, uvs, 8, lim + 4, il, hev, true);
                    }
                    if (innerEdges) {
                        for (int e = 4; e < 16; e += 4) edge(yp, yo + e, 1, ys, 16, lim, il, hev, false);
                        edge(up, uo + 4, 1, uvs, 8, lim, il, hev, false);
                        edge(vp, uo + 4, 1, uvs, 8, lim, il, hev, false);
                    }
                    if (my > 0) {
                        edge(yp, yo, ys, 1, 16, lim + 4, il, hev, true);
                        edge(up, uo, uvs, 1, 8, lim + 4, il, hev, true);
                        edge(vp, uo, uvs, 1, 8, lim + 4, il, hev, true);
                    }
                    if (innerEdges) {
                        for (int e = 4; e < 16; e += 4) edge(yp, yo + e * ys, ys, 1, 16, lim, il, hev, false);
                        edge(up, uo + 4 * uvs, uvs, 1, 8, lim, il, hev, false);
                        edge(vp, uo + 4 * uvs, uvs, 1, 8, lim, il, hev, false);
                    }
                }
            }
        }
    }

    /**
     * The simple filter across one 16-sample edge: {@code step} crosses the edge (1 for a vertical edge, the stride
     * for a horizontal one), {@code along} moves along it.
     */
    private static void simpleEdge(byte[] p, int at, int step, int along, int thresh) {
        int t2 = 2 * thresh + 1;
        for (int i = 0; i < 16; i++, at += along) {
            if (needsFilter(p, at, step, t2)) filter2(p, at, step);
        }
    }

    /** The normal filter across one edge of {@code size} samples: macroblock edges change 3 samples a side, inner 2. */
    private static void edge(byte[] p, int at, int step, int along, int size, int thresh, int ithresh, int hevThresh,
                             boolean macroblockEdge) {
        int t2 = 2 * thresh + 1;
        for (int i = 0; i < size; i++, at += along) {
            if (!needsFilter2(p, at, step, t2, ithresh)) continue;
            if (highEdgeVariance(p, at, step, hevThresh)) filter2(p, at, step);
            else if (macroblockEdge) filter6(p, at, step);
            else filter4(p, at, step);
        }
    }

    private static int px(byte[] p, int i) {
        return p[i] & 0xFF;
    }

    private static int sclip1(int v) { // to [-128, 127]
        return v < -128 ? -128 : Math.min(v, 127);
    }

    private static int sclip2(int v) { // to [-16, 15]
        return v < -16 ? -16 : Math.min(v, 15);
    }

    private static boolean needsFilter(byte[] p, int at, int step, int t) {
        int p1 = px(p, at - 2 * step), p0 = px(p, at - step), q0 = px(p, at), q1 = px(p, at + step);
        return 4 * Math.abs(p0 - q0) + Math.abs(p1 - q1) <= t;
    }

    private static boolean needsFilter2(byte[] p, int at, int step, int t, int it) {
        int p3 = px(p, at - 4 * step), p2 = px(p, at - 3 * step), p1 = px(p, at - 2 * step), p0 = px(p, at - step);
        int q0 = px(p, at), q1 = px(p, at + step), q2 = px(p, at + 2 * step), q3 = px(p, at + 3 * step);
        if (4 * Math.abs(p0 - q0) + Math.abs(p1 - q1) > t) return false;
        return Math.abs(p3 - p2) <= it && Math.abs(p2 - p1) <= it && Math.abs(p1 - p0) <= it
                && Math.abs(q3 - q2) <= it && Math.abs(q2 - q1) <= it && Math.abs(q1 - q0) <= it;
    }

    private static boolean highEdgeVariance(byte[] p, int at, int step, int thresh) {
        int p1 = px(p, at - 2 * step), p0 = px(p, at - step), q0 = px(p, at), q1 = px(p, at + step);
        return Math.abs(p1 - p0) > thresh || Math.abs(q1 - q0) > thresh;
    }

    private static void filter2(byte[] p, int at, int step) {
        int p1 = px(p, at - 2 * step), p0 = px(p, at - step), q0 = px(p, at), q1 = px(p, at + step);
        int a = 3 * (q0 - p0) + sclip1(p1 - q1);
        int a1 = sclip2((a + 4) >> 3), a2 = sclip2((a + 3) >> 3);
        p[at - step] = (byte) clip255(p0 + a2);
        p[at] = (byte) clip255(q0 - a1);
    }

    private static void filter4(byte[] p, int at, int step) {
        int p1 = px(p, at - 2 * step), p0 = px(p, at - step), q0 = px(p, at), q1 = px(p, at + step);
        int a = 3 * (q0 - p0);
        int a1 = sclip2((a + 4) >> 3), a2 = sclip2((a + 3) >> 3), a3 = (a1 + 1) >> 1;
        p[at - 2 * step] = (byte) clip255(p1 + a3);
        p[at - step] = (byte) clip255(p0 + a2);
        p[at] = (byte) clip255(q0 - a1);
        p[at + step] = (byte) clip255(q1 - a3);
    }

    private static void filter6(byte[] p, int at, int step) {
        int p2 = px(p, at - 3 * step), p1 = px(p, at - 2 * step), p0 = px(p, at - step);
        int q0 = px(p, at), q1 = px(p, at + step), q2 = px(p, at + 2 * step);
        int a = sclip1(3 * (q0 - p0) + sclip1(p1 - q1));
        int a1 = (27 * a + 63) >> 7, a2 = (18 * a + 63) >> 7, a3 = (9 * a + 63) >> 7;
        p[at - 3 * step] = (byte) clip255(p2 + a3);
        p[at - 2 * step] = (byte) clip255(p1 + a2);
        p[at - step] = (byte) clip255(p0 + a1);
        p[at] = (byte) clip255(q0 - a1);
        p[at + step] = (byte) clip255(q1 - a2);
        p[at + 2 * step] = (byte) clip255(q2 - a3);
    }
}
