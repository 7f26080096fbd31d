package io.layeratlas.ingest.agent;

/**
 * The agent stopped and cannot go on by itself: Kafka refused it for good (authentication, authorization,
 * unsupported version). Unchecked; the cause is Kafka's exception.
 */
public class AgentException extends RuntimeException {
    public AgentException(String message, Throwable cause) {
        super(message, cause);
    }
}
