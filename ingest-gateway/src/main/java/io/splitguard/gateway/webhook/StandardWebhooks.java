package io.splitguard.gateway.webhook;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verification of the Standard Webhooks signature scheme: {@code webhook-signature} holds one or more
 * space-separated {@code v1,<base64 HMAC-SHA256>} signatures of {@code <webhook-id>.<webhook-timestamp>.<body>}
 * made with a secret given as {@code whsec_<base64>}. A delivery is genuine when any of its signatures
 * matches any configured secret (rotation) and its timestamp lies within the tolerance of this
 * gateway's clock either way (a replay of an old capture, or one stamped ahead, is refused). Signatures
 * are compared in constant time.
 */
public final class StandardWebhooks {

    public static final String ID = "webhook-id";
    public static final String TIMESTAMP = "webhook-timestamp";
    public static final String SIGNATURE = "webhook-signature";

    private static final String SECRET_PREFIX = "whsec_";
    private static final String VERSION = "v1";
    private static final String HMAC = "HmacSHA256";

    private final List<byte[]> keys;
    private final Duration tolerance;

    /**
     * @param secrets the accepted secrets, {@code whsec_<base64>} (the prefix may be omitted)
     * @throws IllegalArgumentException for a secret that is not base64
     */
    public StandardWebhooks(List<String> secrets, Duration tolerance) {
        List<byte[]> decoded = new ArrayList<>();
        for (String secret : secrets) {
            String raw = secret.startsWith(SECRET_PREFIX) ? secret.substring(SECRET_PREFIX.length()) : secret;
            byte[] key = Base64.getDecoder().decode(raw.trim());
            if (key.length == 0) {
                throw new IllegalArgumentException("a signing secret is empty");
            }
            decoded.add(key);
        }
        this.keys = List.copyOf(decoded);
        this.tolerance = tolerance;
    }

    /**
     * Why the delivery is not genuine, or empty when it is.
     *
     * @param id {@code webhook-id} (may be null)
     * @param timestamp {@code webhook-timestamp}, Unix seconds (may be null)
     * @param signatures {@code webhook-signature} (may be null)
     */
    public Optional<String> refusal(String id, String timestamp, String signatures, byte[] body, Instant now) {
        if (id == null || id.isBlank() || timestamp == null || signatures == null || signatures.isBlank()) {
            return Optional.of("the " + ID + ", " + TIMESTAMP + " and " + SIGNATURE + " headers are required");
        }
        long seconds;
        try {
            seconds = Long.parseLong(timestamp.trim());
        } catch (NumberFormatException e) {
            return Optional.of(TIMESTAMP + " must be Unix seconds");
        }
        long skew = Math.abs(now.getEpochSecond() - seconds);
        if (skew > tolerance.toSeconds()) {
            return Optional.of(TIMESTAMP + " is more than " + tolerance.toSeconds() + " s from the receiver's clock");
        }
        byte[] head = (id + "." + timestamp.trim() + ".").getBytes(StandardCharsets.UTF_8);
        List<byte[]> expected = new ArrayList<>(keys.size());
        for (byte[] key : keys) {
            expected.add(sign(key, head, body));
        }
        boolean matched = false;
        for (String candidate : signatures.trim().split(" +")) {
            int comma = candidate.indexOf(',');
            if (comma < 0 || !VERSION.equals(candidate.substring(0, comma))) {
                continue;
            }
            byte[] given;
            try {
                given = Base64.getDecoder().decode(candidate.substring(comma + 1));
            } catch (IllegalArgumentException e) {
                continue;
            }
            for (byte[] mac : expected) {
                // constant time; every pair is compared so timing does not tell which one matched
                matched |= MessageDigest.isEqual(mac, given);
            }
        }
        return matched ? Optional.empty() : Optional.of("no signature matches a configured secret");
    }

    /** The {@code webhook-signature} value for a delivery signed with {@code secret} (senders and tests). */
    public static String signature(String secret, String id, long timestamp, byte[] body) {
        String raw = secret.startsWith(SECRET_PREFIX) ? secret.substring(SECRET_PREFIX.length()) : secret;
        byte[] head = (id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8);
        return VERSION + ","
                + Base64.getEncoder().encodeToString(sign(Base64.getDecoder().decode(raw), head, body));
    }

    private static byte[] sign(byte[] key, byte[] head, byte[] body) {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(new SecretKeySpec(key, HMAC));
            mac.update(head);
            return mac.doFinal(body);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }
}
