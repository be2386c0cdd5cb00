// What one host will hold at most: bodies, batches, sessions, handshake and drain times.
export interface HostLimits {
  /** Request body limit in bytes (default 1 MiB → 413 above it). */
  bodyBytes: number;
  /** JSON-RPC messages in one batch (default 32). */
  maxBatch: number;
  /** Array/object nesting in a body (default 32). */
  maxDepth: number;
  sessionIdleMs: number;
  maxSessions: number;
  maxSessionsPerIdentity: number;
  handshakeTimeoutMs: number;
  /** A request (headers and body) must arrive in full within this (408 and the connection closed). */
  requestTimeoutMs: number;
  /** Its headers within this (at most requestTimeoutMs). */
  headersTimeoutMs: number;
  /** Open TLS connections per identity (SPIFFE ID); beyond it a new one is refused `too_many_connections`. 0: no cap. */
  maxConnectionsPerIdentity: number;
  /** How long close() waits for in-flight requests before cutting connections. */
  drainMs: number;
}

export const DEFAULT_LIMITS: HostLimits = {
  bodyBytes: 1024 * 1024,
  maxBatch: 32,
  maxDepth: 32,
  sessionIdleMs: 15 * 60_000,
  maxSessions: 10_000,
  maxSessionsPerIdentity: 64,
  handshakeTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  maxConnectionsPerIdentity: 256,
  drainMs: 10_000,
};

/**
 * Node's own total-request and headers timeouts (fastify turns the first off by default), checked
 * often enough that a trickled request is cut close to its limit, not up to 30 s later.
 */
export function requestTimeouts(l: HostLimits): { requestTimeout: number; headersTimeout: number; connectionsCheckingInterval: number } {
  const headersTimeout = Math.min(l.headersTimeoutMs, l.requestTimeoutMs);
  return { requestTimeout: l.requestTimeoutMs, headersTimeout, connectionsCheckingInterval: Math.max(250, Math.min(5_000, Math.floor(headersTimeout / 4))) };
}
