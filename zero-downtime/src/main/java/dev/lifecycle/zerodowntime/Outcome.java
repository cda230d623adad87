package dev.lifecycle.zerodowntime;

/**
 * What happened to one request sent by the load generator. Everything but {@link #OK} is a failure: a client that
 * does not retry (as kube-proxy does not) would have shown an error to its user.
 *
 * <p>Reconnecting after the server closed an idle keep-alive connection <em>before</em> the request was written is not
 * a request at all, so it has no outcome: the generator counts it apart (see {@link RolloutReport#reconnects()}).
 */
public enum Outcome {
    /** A complete response with a 2xx status. */
    OK,
    /** A complete response with a status outside 2xx (a 503 from a draining replica, a 502, a 404...). */
    HTTP_ERROR,
    /** The TCP connection to the load balancer was refused. */
    CONNECT_REFUSED,
    /** The TCP connection to the load balancer failed otherwise (timeout, unreachable). */
    CONNECT_FAILED,
    /** Writing the request failed (broken pipe, reset): the server may or may not have seen it. */
    WRITE_FAILED,
    /** The connection was reset after the request was written. */
    RESET,
    /** End of stream after the request was written, before the first byte of a response. */
    EOF_NO_RESPONSE,
    /** End of stream in the middle of a response (status line, headers or body incomplete). */
    EOF_PARTIAL_RESPONSE,
    /** No complete response within the read timeout. */
    READ_TIMEOUT,
    /** A response that is not valid HTTP/1.1. */
    PROTOCOL_ERROR,
    /**
     * Bytes on an idle keep-alive connection before the request was written (an unsolicited or an extra response):
     * a pooled client would read them as the answer to its next request.
     */
    UNSOLICITED_RESPONSE,
    /** An I/O error reported by a pooled client that does not say more (the JDK's or Apache's HttpClient). */
    IO_ERROR,
    /** The client itself failed on this request (a bug in the load generator): the request is not lost. */
    CLIENT_ERROR,
    /** Still queued or in flight when the generator stopped waiting at the end of the run. */
    UNFINISHED;

    /** Whether this outcome is a failed request: anything but {@link #OK}. */
    public boolean isFailure() {
        return this != OK;
    }
}
