package dev.jemma.server.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;

/**
 * Request JSON with limits: bounded nesting, string and number lengths (so a hostile body costs bounded time),
 * duplicate keys and trailing garbage refused. Everything it cannot read is a 400, never a 500.
 */
public final class Json {
    static final int MAX_DEPTH = 64;
    static final int MAX_STRING = 4 << 20;
    static final int MAX_NUMBER = 64;

    public static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_DEPTH).maxStringLength(MAX_STRING).maxNumberLength(MAX_NUMBER).build())
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);

    /** For responses. */
    public static final ObjectMapper OUT = new ObjectMapper();

    private Json() {}

    /** The body as a JSON object, or a 400 that says what is wrong with it. */
    public static ObjectNode parseObject(byte[] body) {
        JsonNode n = parse(body);
        if (!n.isObject()) throw ApiException.invalid(null, "the request body must be a JSON object");
        return (ObjectNode) n;
    }

    /** The body as any JSON value (under the same limits), or a 400 that says what is wrong with it. */
    public static JsonNode parse(byte[] body) {
        if (body.length == 0) throw ApiException.invalid(null, "the request body is empty; expected JSON");
        JsonNode n;
        try {
            n = MAPPER.readTree(body);
        } catch (StreamConstraintsException e) {
            throw ApiException.invalid(null, "the request JSON exceeds a limit: " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            throw ApiException.invalid(null, "the request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiException.invalid(null, "the request body cannot be read: " + e.getMessage());
        }
        if (n == null) throw ApiException.invalid(null, "the request body is empty; expected JSON");
        return n;
    }

    public static ObjectNode object() {
        return OUT.createObjectNode();
    }

    public static byte[] bytes(JsonNode n) {
        try {
            return OUT.writeValueAsBytes(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

}
