package dev.jemma.vision;

import dev.jemma.model.ImageRuns;
import dev.jemma.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Where images go in a Gemma 3 prompt, as transformers' Gemma3Processor lays them out: each {@code <start_of_image>}
 * of the text becomes {@code \n\n<start_of_image>} + {@code <image_soft_token>} × n + {@code <end_of_image>\n\n};
 * with Pan & Scan, "Here is the original image … and here are some crops to help you see better …" with one such
 * sequence for the original and one per crop. The soft token's id is its piece's, or 262144 when the vocabulary
 * lacks it (real Gemma 3 GGUFs end at 262143: the id only marks the rows that get image embeddings).
 */
public final class ImagePrompt {
    public static final String BOI = "<start_of_image>", EOI = "<end_of_image>", SOFT = "<image_soft_token>";
    public static final int FALLBACK_SOFT_ID = 262144;
    private static final String ORIGINAL = "Here is the original image ", CROPS = " and here are some crops to help you see better ";

    private final Tokenizer tok;
    public final int boi, eoi, soft;

    public ImagePrompt(Tokenizer tok) {
        this.tok = tok;
        boi = tok.idOf(BOI);
        eoi = tok.idOf(EOI);
        if (boi < 0 || eoi < 0) throw new ImageInputException("the model's vocabulary has no " + BOI + "/" + EOI + ": it cannot take images");
        int s = tok.idOf(SOFT);
        soft = s >= 0 ? s : FALLBACK_SOFT_ID;
    }

    /** The prompt's ids with its image runs. */
    public record Layout(int[] ids, int[] runStarts) {}

    /**
     * Ids of {@code text} (special tokens recognised, BOS first if asked) with its k-th {@code <start_of_image>}
     * expanded for an image of {@code views[k]} views (1 + its crops), each {@code tokensPerView} soft tokens.
     */
    public Layout encode(String text, int[] views, int tokensPerView, boolean addBos) {
        return encode(text, BOI, true, views, tokensPerView, addBos);
    }

    /**
     * A first chat turn as Gemma 3's chat template renders a user message whose images come before its text (as the
     * template's content parts), then the processor's expansion: BOS, {@code <start_of_turn>user\n}, the system
     * prompt folded in, the images, the trimmed text, {@code <end_of_turn>\n<start_of_turn>model\n}. The user's and
     * system's text is plain text: special-token strings in it are not special.
     */
    public Layout userTurn(String system, String text, int[] views, int tokensPerView) {
        int sot = tok.idOf("<start_of_turn>"), eot = tok.idOf("<end_of_turn>");
        if (sot < 0 || eot < 0) throw new ImageInputException("the model's vocabulary has no <start_of_turn>/<end_of_turn>: it cannot chat");
        String body = "user\n" + (system == null || system.isEmpty() ? "" : system + "\n\n")
                + PLACE.repeat(views.length) + dev.jemma.generate.ChatTemplate.trim(text);
        Layout inner = encode(body, PLACE, false, views, tokensPerView, false);
        int[] ids = new int[inner.ids().length + 3];
        ids[0] = tok.bosId();
        ids[1] = sot;
        System.arraycopy(inner.ids(), 0, ids, 2, inner.ids().length);
        ids[ids.length - 1] = eot;
        int[] tail = tok.encode("\n");
        int[] model = tok.encode("model\n");
        int[] all = java.util.Arrays.copyOf(ids, ids.length + tail.length + 1 + model.length);
        System.arraycopy(tail, 0, all, ids.length, tail.length);
        all[ids.length + tail.length] = sot;
        System.arraycopy(model, 0, all, ids.length + tail.length + 1, model.length);
        int[] runs = inner.runStarts().clone();
        for (int i = 0; i < runs.length; i++) runs[i] += 2;
        return new Layout(all, runs);
    }

    /** A private-use character standing for an image in chat text. */
    public static final String PLACE = "\uE000";

    /**
     * A chat template turn encoder that expands each {@link #PLACE} in the turns' text, in order across turns, for
     * an image of {@code views[k]} views; the runs' starts are recorded as absolute ids positions.
     */
    public final class Expander implements dev.jemma.generate.ChatTemplate.TurnEncoder {
        private final int[] views;
        private final int tokensPerView;
        private int next;
        private final List<Integer> runs = new ArrayList<>();

        public Expander(int[] views, int tokensPerView) {
            this.views = views.clone();
            this.tokensPerView = tokensPerView;
        }

        @Override
        public void encode(String text, dev.jemma.generate.IntList out) {
            int places = text.split(java.util.regex.Pattern.quote(PLACE), -1).length - 1;
            if (next + places > views.length) {
                throw new ImageInputException("the conversation has more image places than its " + views.length + " image(s)");
            }
            Layout l = ImagePrompt.this.encode(text, PLACE, false, Arrays.copyOfRange(views, next, next + places), tokensPerView, false);
            int base = out.size();
            out.addAll(l.ids());
            for (int r : l.runStarts()) runs.add(base + r);
            next += places;
        }

        /** The runs' starts, after rendering; fails unless every image found its place. */
        public int[] runStarts() {
            if (next != views.length) throw new ImageInputException(views.length + " image(s) but " + next + " place(s) for them");
            return runs.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    private Layout encode(String text, String place, boolean specials, int[] views, int tokensPerView, boolean addBos) {
        String[] parts = text.split(java.util.regex.Pattern.quote(place), -1);
        if (parts.length - 1 != views.length) {
            throw new ImageInputException("the prompt has " + (parts.length - 1) + " image place(s) for " + views.length + " image(s)");
        }

        List<Integer> ids = new ArrayList<>();
        List<Integer> runs = new ArrayList<>();
        if (addBos) ids.add(tok.bosId());
        StringBuilder pending = new StringBuilder(parts[0]);
        for (int k = 0; k < views.length; k++) {
            for (int v = 0; v < views[k]; v++) {
                if (views[k] > 1) pending.append(v == 0 ? ORIGINAL : v == 1 ? CROPS : " ");
                pending.append("\n\n");
                flush(pending, ids, specials);
                ids.add(boi);
                runs.add(ids.size());
                for (int t = 0; t < tokensPerView; t++) ids.add(soft);
                ids.add(eoi);
                pending.append("\n\n");
            }
            pending.append(parts[k + 1]);
        }
        flush(pending, ids, specials);
        return new Layout(ids.stream().mapToInt(Integer::intValue).toArray(), runs.stream().mapToInt(Integer::intValue).toArray());
    }

    private void flush(StringBuilder text, List<Integer> ids, boolean specials) {
        if (text.isEmpty()) return;
        for (int id : specials ? tok.encodeWithSpecial(text.toString()) : tok.encode(text.toString())) ids.add(id);
        text.setLength(0);
    }

    /** The runs of soft tokens in given ids (each run split every {@code tokensPerView}), in order. */
    public int[] runStarts(int[] ids, int tokensPerView) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < ids.length; ) {
            if (ids[i] != soft) {
                i++;
                continue;
            }
            int j = i;
            while (j < ids.length && ids[j] == soft) j++;
            if ((j - i) % tokensPerView != 0) {
                throw new ImageInputException("a run of " + (j - i) + " image soft tokens at " + i + " is not a whole number of images of "
                        + tokensPerView + " tokens");
            }
            for (int s = i; s < j; s += tokensPerView) out.add(s);
            i = j;
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Runs at {@code starts} filled with the views' embeddings, in order. */
    public static ImageRuns runs(int[] starts, List<float[]> views, int tokensPerView) {
        if (starts.length != views.size()) {
            throw new ImageInputException("the prompt has " + starts.length + " image runs for " + views.size() + " image view(s)");
        }
        return new ImageRuns(Arrays.copyOf(starts, starts.length), tokensPerView, views.toArray(new float[0][]));
    }
}
