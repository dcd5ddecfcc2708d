package dev.jemma.hf;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code general.*} naming llama.cpp's converter derives from a folder's name when no model card says
 * otherwise (gguf-py {@code Metadata.get_model_id_components} and {@code id_to_title}): the display name, and from
 * the dash-separated parts a base name, fine-tune, version and size label, e.g. {@code gemma-3-270m-it} →
 * "Gemma 3 270m It", base name {@code gemma-3}, fine-tune {@code it}, size {@code 270M}.
 */
record ModelNaming(String name, String basename, String finetune, String version, String sizeLabel) {
    private static final Pattern VERSION = Pattern.compile("(?i)(v|iter)?\\d+([.]\\d+)*");
    private static final Pattern QUANT = Pattern.compile("(?i)i?q\\d(_\\w)*|b?fp?(16|32)");
    private static final Pattern SIZE = Pattern.compile("(?i)(([A]|\\d+[x])?\\d+([._]\\d+)?[KMBT][\\d]?|small|mini|medium|large|x?xl)");
    private static final Pattern FINETUNE = Pattern.compile("(?i)chat|instruct|vision|lora");

    static ModelNaming of(String id, long totalParams) {
        if (id.contains(" ")) return new ModelNaming(id, null, null, null, null);
        String full = id.contains("/") ? id.substring(id.indexOf('/') + 1) : id;
        List<String> parts = new ArrayList<>();
        for (String p : full.split("-", -1)) if (!p.isEmpty()) parts.add(p);
        List<Set<String>> types = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            Set<String> t = new LinkedHashSet<>();
            types.add(t);
            String part = parts.get(i);
            if (VERSION.matcher(part).matches()) {
                t.add("version");
            } else if (QUANT.matcher(part).matches()) {
                t.add("type");
                parts.set(i, part.toUpperCase(Locale.ROOT));
            } else if (i > 0 && SIZE.matcher(part).matches()) {
                part = part.replace('_', '.');
                if (Character.isDigit(part.charAt(part.length() - 1))) {
                    part = part.substring(0, part.length() - 2) + "." + part.charAt(part.length() - 1) + part.charAt(part.length() - 2);
                }
                if (part.length() > 1 && Character.isDigit(part.charAt(part.length() - 2)) && "kmbt".indexOf(part.charAt(part.length() - 1)) >= 0) {
                    part = part.substring(0, part.length() - 1) + Character.toUpperCase(part.charAt(part.length() - 1));
                }
                if (totalParams != 0) {
                    try {
                        double label = Double.parseDouble(part.substring(0, part.length() - 1))
                                * Math.pow(1000, " KMBT".indexOf(part.charAt(part.length() - 1)));
                        // a number far from the model's size is likely a context length
                        if (totalParams > 0 && Math.abs(label - totalParams) > 7 * totalParams / 8) {
                            t.add("finetune");
                            part = part.substring(0, part.length() - 1) + Character.toLowerCase(part.charAt(part.length() - 1));
                        }
                    } catch (NumberFormatException e) {
                        // a word size (small, large, ...): kept as the size label
                    }
                }
                if (t.isEmpty()) t.add("size_label");
                parts.set(i, part);
            } else if (i > 0 && FINETUNE.matcher(part).matches()) {
                t.add("finetune");
            }
        }
        boolean numericSize = false;
        for (int i = 0; i < parts.size(); i++) {
            if (types.get(i).contains("size_label") && parts.get(i).chars().anyMatch(Character::isDigit)) numericSize = true;
        }
        if (numericSize) {
            for (int i = 0; i < parts.size(); i++) {
                if (types.get(i).contains("size_label") && parts.get(i).chars().allMatch(Character::isLetter)) types.get(i).remove("size_label");
            }
        }
        boolean atStart = true;
        for (int i = 0; i < parts.size(); i++) {
            Set<String> t = types.get(i);
            if (atStart && ((t.isEmpty() && Character.isLetter(parts.get(i).charAt(0))) || t.contains("version"))) {
                t.add("basename");
            } else {
                atStart = false;
                if (t.isEmpty()) t.add("finetune");
            }
        }
        for (int i = parts.size() - 1; i >= 0; i--) {
            Set<String> t = types.get(i);
            if (t.contains("basename") && t.size() > 1) t.remove("basename");
            else break;
        }
        String basename = join(parts, types, "basename", false);
        String size = join(parts, types, "size_label", true);
        String finetune = join(parts, types, "finetune", false);
        List<String> versions = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            if (types.get(i).contains("version") && !types.get(i).contains("basename")) versions.add(parts.get(i));
        }
        String version = versions.isEmpty() ? null : String.join("-", versions);
        if (size == null && finetune == null && version == null) basename = null;
        return new ModelNaming(title(full), basename, finetune, version, size);
    }

    /** The name keys in the converter's order; the size label from the parameter count when the name has none. */
    void addTo(java.util.Map<String, dev.jemma.gguf.GGUFMetadata.Entry> md, long params) {
        put(md, "general.name", name);
        if (version != null) put(md, "general.version", version);
        if (finetune != null) put(md, "general.finetune", finetune);
        if (basename != null) put(md, "general.basename", basename);
        put(md, "general.size_label", sizeLabel != null ? sizeLabel : countLabel(params));
    }

    private static void put(java.util.Map<String, dev.jemma.gguf.GGUFMetadata.Entry> md, String key, String value) {
        md.put(key, new dev.jemma.gguf.GGUFMetadata.Entry(dev.jemma.gguf.GGUFValueType.STRING, null, value));
    }

    /** gguf-py's model_weight_count_rounded_notation with two significant digits, e.g. 268M, 1.0B, 340K. */
    static String countLabel(long n) {
        double scaled;
        String suffix;
        if (n > 1e12) { scaled = n * 1e-12; suffix = "T"; }
        else if (n > 1e9) { scaled = n * 1e-9; suffix = "B"; }
        else if (n > 1e6) { scaled = n * 1e-6; suffix = "M"; }
        else { scaled = n * 1e-3; suffix = "K"; }
        String rounded = new BigDecimal(scaled).setScale(0, RoundingMode.HALF_EVEN).toBigInteger().toString();
        String stripped = rounded.replaceFirst("^0+", "");
        int fix = Math.max(2 - stripped.length(), 0);
        return new BigDecimal(scaled).setScale(fix, RoundingMode.HALF_EVEN).toPlainString() + suffix;
    }

    private static String join(List<String> parts, List<Set<String>> types, String kind, boolean distinct) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            if (types.get(i).contains(kind) && !(distinct && out.contains(parts.get(i)))) out.add(parts.get(i));
        }
        return out.isEmpty() ? null : String.join("-", out);
    }

    /** gguf-py's id_to_title: lower-case words title-cased unless they are versions or start with a digit. */
    static String title(String id) {
        StringBuilder b = new StringBuilder();
        for (String w : id.strip().replace('-', ' ').split("\\s+")) {
            if (w.isEmpty()) continue;
            boolean lower = w.equals(w.toLowerCase(Locale.ROOT)) && !w.equals(w.toUpperCase(Locale.ROOT));
            boolean keep = w.matches("^(v\\d+(?:\\.\\d+)*|\\d.*)$");
            if (!b.isEmpty()) b.append(' ');
            b.append(lower && !keep ? pythonTitle(w) : w);
        }
        return b.toString();
    }

    /** Python's str.title(): the first letter after each non-letter upper-cased, the others lower-cased. */
    private static String pythonTitle(String w) {
        StringBuilder b = new StringBuilder();
        boolean prevLetter = false;
        for (int i = 0; i < w.length(); i++) {
            char ch = w.charAt(i);
            b.append(prevLetter ? Character.toLowerCase(ch) : Character.toUpperCase(ch));
            prevLetter = Character.isLetter(ch);
        }
        return b.toString();
    }
}
