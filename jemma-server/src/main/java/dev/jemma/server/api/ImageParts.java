package dev.jemma.server.api;

import dev.jemma.server.http.ApiException;

import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * Images in requests: OpenAI {@code image_url} parts with {@code data:} URLs and Ollama's raw base64 {@code images}.
 * Remote URLs are refused, as Ollama refuses them: the server never fetches anything. Decoding the image itself
 * (and its pixel budget) is the vision engine's; this only gets the bytes out, bounded.
 */
final class ImageParts {
    /** Images one request may carry (each is up to a few hundred soft tokens, and encoding one takes seconds). */
    static final int MAX_IMAGES = 16;

    private ImageParts() {}

    /** The bytes of an OpenAI image part: {"type":"image_url","image_url":{"url":"data:image/png;base64,..."}}. */
    static byte[] openAi(com.fasterxml.jackson.databind.JsonNode part, String at) {
        com.fasterxml.jackson.databind.JsonNode u = part.path("image_url");
        String url = u.isTextual() ? u.asText() : u.path("url").asText(null);
        if (url == null) throw ApiException.invalid(at + ".image_url.url", "'" + at + ".image_url.url' must be a string");
        String lower = url.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://")) {
            throw ApiException.invalid(at + ".image_url.url", "image URLs are not fetched: send the image inline as a data: URL (base64)");
        }
        if (!lower.startsWith("data:")) throw ApiException.invalid(at + ".image_url.url", "'" + at + ".image_url.url' must be a data: URL");
        int comma = url.indexOf(',');
        if (comma < 0 || !url.substring(0, comma).toLowerCase(Locale.ROOT).endsWith(";base64")) {
            throw ApiException.invalid(at + ".image_url.url", "the data: URL must be base64 (data:image/png;base64,...)");
        }
        return base64(url.substring(comma + 1), at + ".image_url.url");
    }

    static byte[] base64(String s, String at) {
        try {
            return Base64.getDecoder().decode(s.replaceAll("\\s+", "")); // strict, line breaks allowed
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(at, "'" + at + "' is not valid base64: " + e.getMessage());
        }
    }

    static void add(List<byte[]> images, byte[] image, String at) {
        if (images.size() >= MAX_IMAGES) throw ApiException.invalid(at, "a request may carry at most " + MAX_IMAGES + " images");
        if (image.length == 0) throw ApiException.invalid(at, "'" + at + "' is an empty image");
        images.add(image);
    }
}
