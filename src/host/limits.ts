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
  drainMs: 10_000,
};
