package dev.jemma.vision;

import dev.jemma.model.Gemma3Model;
import dev.jemma.model.ImageRuns;

import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Images for one text model: its mmproj tower (checked to feed this model), the encoder, the prompt layout, and a
 * bounded cache of encoded images keyed by their bytes' SHA-256 (an image sent again, in a later turn or request,
 * is not encoded again). Thread-safe: encoding is serialised (one encoder, one set of buffers).
 */
public final class VisionEngine implements AutoCloseable {
    /** Encoded images kept: enough for a conversation's images, bounded whatever the traffic. */
    private static final long CACHE_BYTES = 64L << 20;

    public final VisionModel model;
    public final ImagePrompt prompt;
    private final SiglipEncoder encoder;
    private final long maxPixels;
    private final Map<String, List<float[]>> cache = new LinkedHashMap<>(16, 0.75f, true);
    private long cachedBytes;

    private VisionEngine(VisionModel model, Gemma3Model text, int threads, long maxPixels) {
        this.model = model;
        this.prompt = new ImagePrompt(text.tokenizer);
        this.encoder = model.encoder(threads);
        this.maxPixels = maxPixels;
    }

    /** Opens the mmproj file for {@code text}; fails with a typed error when it does not belong to it. */
    public static VisionEngine open(Path mmproj, Gemma3Model text, int threads) throws IOException {
        VisionModel vm = VisionModel.load(mmproj);
        try {
            vm.checkTextWidth(text.config.hidden());
            return new VisionEngine(vm, text, threads, ImageDecoder.DEFAULT_MAX_PIXELS);
        } catch (RuntimeException e) {
            vm.close();
            throw e;
        }
    }

    public int tokensPerImage() {
        return model.config.tokensPerImage();
    }

    /** The soft tokens of each view of the image in {@code bytes} (with Pan & Scan: the whole image, then its crops). */
    public synchronized List<float[]> views(byte[] bytes, boolean panAndScan) {
        String key = sha256(bytes) + (panAndScan ? "+pas" : "");
        List<float[]> v = cache.get(key);
        if (v != null) return v;
        RgbImage img = ImageDecoder.decode(bytes, maxPixels);
        v = List.copyOf(encoder.encodeViews(img, new ImagePreprocessor(model.config, panAndScan ? PanAndScan.GEMMA3 : null)));
        long size = (long) v.size() * v.getFirst().length * 4;
        cache.put(key, v);
        cachedBytes += size;
        var it = cache.entrySet().iterator();
        while (cachedBytes > CACHE_BYTES && cache.size() > 1 && it.hasNext()) {
            var e = it.next();
            if (e.getKey().equals(key)) continue;
            cachedBytes -= (long) e.getValue().size() * e.getValue().getFirst().length * 4;
            it.remove();
        }
        return v;
    }

    /** A prompt and its image runs, ready for {@code Session.generate}. */
    public record Prepared(int[] ids, ImageRuns runs) {}

    /** A first chat turn: the images (in order, before the text) and the user's text. */
    public Prepared userTurn(String system, String text, List<byte[]> images, boolean panAndScan) {
        List<float[]> all = new java.util.ArrayList<>();
        int[] views = encodeAll(images, panAndScan, all);
        ImagePrompt.Layout l = prompt.userTurn(system, text, views, tokensPerImage());
        return new Prepared(l.ids(), ImagePrompt.runs(l.runStarts(), all, tokensPerImage()));
    }

    /**
     * A whole conversation whose messages hold {@link ImagePrompt#PLACE} where its images go (in order), rendered by
     * the chat template with those places expanded.
     */
    public Prepared conversation(dev.jemma.generate.ChatTemplate template, List<dev.jemma.generate.ChatMessage> messages,
                                 List<byte[]> images, boolean panAndScan) {
        List<float[]> all = new java.util.ArrayList<>();
        int[] views = encodeAll(images, panAndScan, all);
        ImagePrompt.Expander x = prompt.new Expander(views, tokensPerImage());
        int[] ids = template.render(messages, true, x).toArray();
        return new Prepared(ids, ImagePrompt.runs(x.runStarts(), all, tokensPerImage()));
    }

    /**
     * A raw completion with the processor's layout: BOS, the images (each expanded in place, before the text), then
     * the text, whose special-token strings are special (as the processor tokenizes).
     */
    public Prepared completion(String text, List<byte[]> images, boolean panAndScan) {
        List<float[]> all = new java.util.ArrayList<>();
        int[] views = encodeAll(images, panAndScan, all);
        ImagePrompt.Layout l = prompt.encode(ImagePrompt.BOI.repeat(images.size()) + text, views, tokensPerImage(), true);
        return new Prepared(l.ids(), ImagePrompt.runs(l.runStarts(), all, tokensPerImage()));
    }

    /** Given ids: each run of soft tokens filled, in order, with the views of the images (each image's views in turn). */
    public Prepared fill(int[] ids, List<byte[]> images, boolean panAndScan) {
        List<float[]> all = new java.util.ArrayList<>();
        encodeAll(images, panAndScan, all);
        return new Prepared(ids, ImagePrompt.runs(prompt.runStarts(ids, tokensPerImage()), all, tokensPerImage()));
    }

    /** Every image's views appended to {@code out}, in order; returns the number of views of each image. */
    private int[] encodeAll(List<byte[]> images, boolean panAndScan, List<float[]> out) {
        int[] views = new int[images.size()];
        for (int i = 0; i < images.size(); i++) {
            List<float[]> v = views(images.get(i), panAndScan);
            views[i] = v.size();
            out.addAll(v);
        }
        return views;
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        encoder.close();
        model.close();
    }
}
