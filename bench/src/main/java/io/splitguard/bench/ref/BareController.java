package io.splitguard.bench.ref;

import io.micronaut.context.annotation.Requires;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;

/** Reference (A): the least a Micronaut POST can do with this request, parse the JSON and answer. */
@Controller
@Requires(property = "bench.ref.mode", value = "bare")
public class BareController {

    public static final String PATH = "/ref/bare";

    @Post(uri = PATH, consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    public HttpResponse<byte[]> post(@Body byte[] body) {
        return Bodies.sessionId(body).map(Bodies::accepted).orElseGet(() -> Bodies.error(HttpStatus.BAD_REQUEST));
    }
}
