package dev.lifecycle.grpc;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;

/** Records a client stream's messages and its end. */
final class RecordingObserver<T> implements StreamObserver<T> {

    final List<T> messages = new CopyOnWriteArrayList<>();
    /** The status the stream ended with. */
    final CompletableFuture<Status> end = new CompletableFuture<>();

    @Override
    public void onNext(T value) {
        messages.add(value);
    }

    @Override
    public void onError(Throwable t) {
        end.complete(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
        end.complete(Status.OK);
    }
}
