package io.splitguard.gateway.api;

import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.server.exceptions.ExceptionHandler;
import jakarta.inject.Singleton;

/** Renders a {@link ProblemException} as it says, with the request path as {@code instance}. */
@Singleton
public class ProblemExceptionHandler implements ExceptionHandler<ProblemException, HttpResponse<?>> {

    @Override
    public HttpResponse<?> handle(@SuppressWarnings("rawtypes") HttpRequest request, ProblemException exception) {
        Problem problem = exception.problem();
        if (problem.instance() == null && request != null) {
            problem = problem.withInstance(request.getPath());
        }
        MutableHttpResponse<byte[]> response = problem.toResponse();
        exception.headers().forEach(response::header);
        return response;
    }
}
