package io.layeratlas.events;

/** A record value that is not a valid {@link LayerAtlasEvent}; the message says why. */
public class UndecodableEventException extends RuntimeException {
    public UndecodableEventException(String message) {
        super(message);
    }

    public UndecodableEventException(String message, Throwable cause) {
        super(message, cause);
    }
}
