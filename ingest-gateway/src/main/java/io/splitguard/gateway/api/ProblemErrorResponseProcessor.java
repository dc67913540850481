package io.splitguard.gateway.api;

import io.micronaut.context.annotation.Replaces;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.server.exceptions.response.Error;
import io.micronaut.http.server.exceptions.response.ErrorContext;
import io.micronaut.http.server.exceptions.response.ErrorResponseProcessor;
import jakarta.inject.Singleton;
import java.util.List;

/**
 * Makes every error Micronaut itself produces (401, 403, 404, 405, 413, 415, 500, binding errors...)
 * an {@code application/problem+json} document, the same shape the gateway's own errors have.
 */
@Singleton
@Replaces(ErrorResponseProcessor.class)
public class ProblemErrorResponseProcessor implements ErrorResponseProcessor<byte[]> {

    @Override
    public MutableHttpResponse<byte[]> processResponse(ErrorContext context, MutableHttpResponse<?> base) {
        int code = base.code();
        HttpStatus status = HttpStatus.valueOf(code);
        String detail = detail(context, status);
        Problem problem = Problem.ofStatus(code, status.getReason(), detail)
                .withInstance(context.getRequest().getPath());
        List<String> messages =
                context.getErrors().stream().map(Error::getMessage).toList();
        if (messages.size() > 1) {
            problem = problem.with("errors", messages);
        }
        @SuppressWarnings("unchecked")
        MutableHttpResponse<byte[]> response = (MutableHttpResponse<byte[]>) base;
        return response.contentType(Problem.MEDIA_TYPE).body(problem.toBytes());
    }

    private static String detail(ErrorContext context, HttpStatus status) {
        if (status.getCode() >= 500) {
            // never leak internals of a server-side failure
            return "The request could not be processed.";
        }
        if (context.hasErrors()) {
            String message = context.getErrors().get(0).getMessage();
            if (message != null && !message.isBlank()) {
                return message;
            }
        }
        return status.getReason();
    }
}
