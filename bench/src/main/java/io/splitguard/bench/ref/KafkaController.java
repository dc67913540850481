package io.splitguard.bench.ref;

import io.micronaut.context.annotation.Requires;
import io.micronaut.context.annotation.Value;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Reference (B): parse the JSON, produce the raw body keyed by session with {@code acks=all},
 * idempotence and {@code linger.ms=5}, and answer from the producer callback. No thread waits for
 * a request: {@code send} runs on the event loop (metadata is fetched at start-up, so it only
 * blocks if the producer's buffer fills) and the response completes from the producer's I/O
 * thread. This is the ceiling for durable HTTP-to-Kafka on this stack.
 */
@Controller
@Requires(property = "bench.ref.mode", value = "kafka")
public class KafkaController {

    public static final String PATH = "/ref/kafka";

    private final KafkaProducer<String, byte[]> producer;
    private final String topic;

    public KafkaController(
            @Value("${bench.ref.bootstrap}") String bootstrap, @Value("${bench.ref.topic}") String topic) {
        this.topic = topic;
        this.producer = new KafkaProducer<>(
                Map.<String, Object>of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ProducerConfig.CLIENT_ID_CONFIG,
                        "bench-ref-kafka",
                        ProducerConfig.ACKS_CONFIG,
                        "all",
                        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                        true,
                        ProducerConfig.LINGER_MS_CONFIG,
                        5),
                new StringSerializer(),
                new ByteArraySerializer());
        producer.partitionsFor(topic);
    }

    @Post(uri = PATH, consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    public CompletableFuture<HttpResponse<byte[]>> post(@Body byte[] body) {
        Optional<String> session = Bodies.sessionId(body);
        if (session.isEmpty()) {
            return CompletableFuture.completedFuture(Bodies.error(HttpStatus.BAD_REQUEST));
        }
        String sessionId = session.get();
        CompletableFuture<HttpResponse<byte[]>> answer = new CompletableFuture<>();
        try {
            producer.send(
                    new ProducerRecord<>(topic, sessionId, body),
                    (metadata, error) -> answer.complete(
                            error == null ? Bodies.accepted(sessionId) : Bodies.error(HttpStatus.SERVICE_UNAVAILABLE)));
        } catch (RuntimeException e) {
            answer.complete(Bodies.error(HttpStatus.SERVICE_UNAVAILABLE));
        }
        return answer;
    }

    @PreDestroy
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
