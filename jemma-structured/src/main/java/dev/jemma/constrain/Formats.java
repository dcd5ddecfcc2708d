package dev.jemma.constrain;

import java.util.Map;

/**
 * The supported {@code format} values as patterns. They are strict subsets of what RFC 3339 / RFC 4122 allow
 * (no leap seconds, no 29 February, years 1000–2999, offsets within ±17:59) so that every generated value is valid for any checker.
 */
final class Formats {
    private Formats() {}

    private static final String DATE = "[12]\\d{3}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])"
            + "|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|02-(?:0[1-9]|1\\d|2[0-8]))";
    private static final String TIME = "(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d{1,6})?(?:Z|[+-](?:0\\d|1[0-7]):[0-5]\\d)";

    static final Map<String, String> PATTERNS = Map.of(
            "date", "^" + DATE + "$",
            // a bare time with an offset that crosses midnight in UTC is refused by some validators (networknt 1.5): UTC only
            "time", "^(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d{1,6})?Z$",
            "date-time", "^" + DATE + "T" + TIME + "$",
            "uuid", "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");
}
