package dev.lifecycle.spring.boot;

import org.springframework.core.MethodParameter;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.converter.HttpMessageConverter;
import org.springframework.http.server.ServerHttpRequest;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.http.server.ServletServerHttpRequest;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.servlet.mvc.method.annotation.ResponseBodyAdvice;

import dev.lifecycle.core.Lifecycle;

/**
 * {@code Connection: close} on the HTTP/1.1 response bodies Spring MVC writes while the lifecycle drains.
 *
 * <p>{@code LifecycleFilter} adds the header before the application runs, or when the chain returns if the response
 * is still uncommitted. Spring MVC's message converters flush, and so commit, every {@code @ResponseBody} and
 * {@code ResponseEntity} inside the chain: a request admitted before SIGTERM and answered after it would keep its
 * connection open, which the container integration then closes as idle when the drain begins, a moment after the
 * client got it back. A pooled client that reuses it without checking first (Apache HttpClient 5 checks a
 * connection only after 2 s of inactivity) writes its next request onto a closed connection and gets no answer;
 * {@code SpringBootRolloutTest} saw exactly that. Here the header is set just before the body is written, while
 * the headers can still change. One volatile read per response.
 */
@ControllerAdvice
final class ConnectionCloseAdvice implements ResponseBodyAdvice<Object> {

    private final Lifecycle lifecycle;

    ConnectionCloseAdvice(Lifecycle lifecycle) {
        this.lifecycle = lifecycle;
    }

    @Override
    public boolean supports(MethodParameter returnType, Class<? extends HttpMessageConverter<?>> converterType) {
        return true;
    }

    @Override
    public Object beforeBodyWrite(Object body, MethodParameter returnType, MediaType contentType,
                                  Class<? extends HttpMessageConverter<?>> converterType, ServerHttpRequest request,
                                  ServerHttpResponse response) {
        // HTTP/2 forbids connection-specific headers; its connections get a GOAWAY instead.
        if (lifecycle.isDraining() && request instanceof ServletServerHttpRequest servlet
            && servlet.getServletRequest().getProtocol().startsWith("HTTP/1.")) {
            response.getHeaders().set(HttpHeaders.CONNECTION, "close");
        }
        return body;
    }
}
