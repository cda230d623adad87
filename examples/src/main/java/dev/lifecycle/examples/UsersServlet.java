package dev.lifecycle.examples;

import java.io.IOException;
import java.io.InputStream;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/** The users API ({@link UsersApi}) as a servlet, mapped on {@code /users} and {@code /users/*}. */
final class UsersServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    private final transient UsersApi api;

    UsersServlet(UsersApi api) {
        this.api = api;
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!isCollection(request)) {
            JsonResponses.send(response, UsersApi.postToOneUser());
            return;
        }
        byte[] body;
        try (InputStream in = request.getInputStream()) {
            body = in.readNBytes(UsersApi.MAX_BODY_BYTES + 1);
        }
        JsonResponses.send(response, api.create(body));
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (isCollection(request)) {
            JsonResponses.send(response, api.list(request.getParameter("limit"), request.getParameter("after")));
        } else {
            JsonResponses.send(response, api.find(request.getPathInfo().substring(1)));
        }
    }

    private static boolean isCollection(HttpServletRequest request) {
        String pathInfo = request.getPathInfo();
        return pathInfo == null || pathInfo.equals("/");
    }
}
