package dev.lifecycle.servlet;

import java.io.IOException;
import java.io.PrintWriter;

import dev.lifecycle.core.Lifecycle;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;

/**
 * The response an admitted HTTP/1.x request is passed on as: before each call that may commit the response (a write,
 * flush or close of its stream or writer, {@code flushBuffer()}, {@code sendError()}, {@code sendRedirect()}) it adds
 * {@code Connection: close} if the lifecycle drains by then and the response is not committed yet. A request admitted
 * before the drain whose response is committed inside the chain (Spring MVC's message converters flush every body; a
 * body larger than the buffer) then still tells its keep-alive client to reconnect elsewhere: without it the
 * connection went back to the client's pool, to be closed under it by the container's integration when the drain
 * begins. A {@code 101 Switching Protocols} response is left alone.
 *
 * <p>The container's response stays reachable ({@link #getResponse()}, {@link #isWrapperFor}); writes made on it
 * directly, past this wrapper, are not seen: the filter still sets the header when the chain returns on a response
 * not committed yet.
 *
 * <p>Cost: this object per admitted HTTP/1.x request, and one stream or writer wrapper on the first
 * {@code getOutputStream()} or {@code getWriter()}. Per write, a plain field read and the lifecycle's volatile state
 * read; only while draining, until the response is seen committed, {@code isCommitted()}, {@code getStatus()} and
 * {@code setHeader()} on the container's response.
 */
final class CloseOnDrainResponse extends HttpServletResponseWrapper {

    private final Lifecycle lifecycle;
    // Seen committed while draining: nothing more to do. Plain fields: a response is written by one thread at a time
    // (the container's, or the one the application hands it to); a stale read costs a check, never a wrong header.
    private boolean committed;
    private CheckedStream output;
    private CheckedWriter writer;

    CloseOnDrainResponse(HttpServletResponse response, Lifecycle lifecycle) {
        super(response);
        this.lifecycle = lifecycle;
    }

    /** Adds {@code Connection: close} if the lifecycle drains and the response may still be committed by the caller. */
    void beforeCommit() {
        if (!committed && lifecycle.isDraining()) {
            closeUnlessCommitted();
        }
    }

    private void closeUnlessCommitted() {
        if (isCommitted()) {
            committed = true; // never reverts: the later writes of a streamed response check no more than this
        } else if (getStatus() != SC_SWITCHING_PROTOCOLS) {
            // setHeader, not a flag: the application's reset() clears the header, the next write sets it again.
            setHeader("Connection", "close");
        }
    }

    @Override
    public ServletOutputStream getOutputStream() throws IOException {
        ServletOutputStream container = super.getOutputStream();
        CheckedStream current = output;
        if (current == null || current.delegate != container) {
            current = new CheckedStream(container);
            output = current;
        }
        return current;
    }

    @Override
    public PrintWriter getWriter() throws IOException {
        PrintWriter container = super.getWriter();
        CheckedWriter current = writer;
        if (current == null || current.delegate != container) {
            current = new CheckedWriter(container);
            writer = current;
        }
        return current;
    }

    @Override
    public void flushBuffer() throws IOException {
        beforeCommit();
        super.flushBuffer();
    }

    @Override
    public void sendError(int sc, String msg) throws IOException {
        beforeCommit();
        super.sendError(sc, msg);
    }

    @Override
    public void sendError(int sc) throws IOException {
        beforeCommit();
        super.sendError(sc);
    }

    @Override
    public void sendRedirect(String location) throws IOException {
        beforeCommit();
        super.sendRedirect(location);
    }

    /** The container's stream, checked before each call that may commit. */
    private final class CheckedStream extends ServletOutputStream {
        final ServletOutputStream delegate;

        CheckedStream(ServletOutputStream delegate) {
            this.delegate = delegate;
        }

        @Override
        public void write(int b) throws IOException {
            beforeCommit();
            delegate.write(b);
        }

        @Override
        public void write(byte[] b) throws IOException {
            beforeCommit();
            delegate.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            beforeCommit();
            delegate.write(b, off, len);
        }

        // The print methods go to the container's own, which may encode differently from ServletOutputStream's.
        @Override
        public void print(String s) throws IOException {
            beforeCommit();
            delegate.print(s);
        }

        @Override
        public void print(boolean b) throws IOException {
            beforeCommit();
            delegate.print(b);
        }

        @Override
        public void print(char c) throws IOException {
            beforeCommit();
            delegate.print(c);
        }

        @Override
        public void print(int i) throws IOException {
            beforeCommit();
            delegate.print(i);
        }

        @Override
        public void print(long l) throws IOException {
            beforeCommit();
            delegate.print(l);
        }

        @Override
        public void print(float f) throws IOException {
            beforeCommit();
            delegate.print(f);
        }

        @Override
        public void print(double d) throws IOException {
            beforeCommit();
            delegate.print(d);
        }

        @Override
        public void println() throws IOException {
            beforeCommit();
            delegate.println();
        }

        @Override
        public void println(String s) throws IOException {
            beforeCommit();
            delegate.println(s);
        }

        @Override
        public void println(boolean b) throws IOException {
            beforeCommit();
            delegate.println(b);
        }

        @Override
        public void println(char c) throws IOException {
            beforeCommit();
            delegate.println(c);
        }

        @Override
        public void println(int i) throws IOException {
            beforeCommit();
            delegate.println(i);
        }

        @Override
        public void println(long l) throws IOException {
            beforeCommit();
            delegate.println(l);
        }

        @Override
        public void println(float f) throws IOException {
            beforeCommit();
            delegate.println(f);
        }

        @Override
        public void println(double d) throws IOException {
            beforeCommit();
            delegate.println(d);
        }

        @Override
        public void flush() throws IOException {
            beforeCommit();
            delegate.flush();
        }

        @Override
        public void close() throws IOException {
            beforeCommit();
            delegate.close();
        }

        @Override
        public boolean isReady() {
            return delegate.isReady();
        }

        @Override
        public void setWriteListener(WriteListener listener) {
            delegate.setWriteListener(listener);
        }
    }

    /**
     * The container's writer, checked before each call that may commit. Every call that writes goes to the
     * container's writer, which keeps its own error state ({@link #checkError()}); print, format and append reach
     * these through {@link PrintWriter}'s own implementation.
     */
    private final class CheckedWriter extends PrintWriter {
        final PrintWriter delegate;

        CheckedWriter(PrintWriter delegate) {
            super(delegate, false);
            this.delegate = delegate;
        }

        @Override
        public void write(int c) {
            beforeCommit();
            delegate.write(c);
        }

        @Override
        public void write(char[] buf, int off, int len) {
            beforeCommit();
            delegate.write(buf, off, len);
        }

        @Override
        public void write(char[] buf) {
            beforeCommit();
            delegate.write(buf);
        }

        @Override
        public void write(String s, int off, int len) {
            beforeCommit();
            delegate.write(s, off, len);
        }

        @Override
        public void write(String s) {
            beforeCommit();
            delegate.write(s);
        }

        @Override
        public void println() {
            // PrintWriter's own would write the line separator to the container's writer past the check.
            beforeCommit();
            delegate.println();
        }

        @Override
        public void flush() {
            beforeCommit();
            delegate.flush();
        }

        @Override
        public void close() {
            beforeCommit();
            delegate.close();
        }

        @Override
        public boolean checkError() {
            beforeCommit(); // a container's checkError() may flush (Tomcat's does)
            return delegate.checkError();
        }
    }
}
