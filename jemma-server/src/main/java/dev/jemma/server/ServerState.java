package dev.jemma.server;

/** Where the server is in its life: only READY admits generations; /ready is 200 only then. */
public enum ServerState { LOADING, READY, DRAINING, STOPPED }
