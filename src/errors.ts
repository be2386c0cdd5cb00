// One error type for everything a user can get wrong or the system can refuse.
// `code` is stable (documented, asserted by tests); `exitCode` follows the CLI contract:
// 2 for usage errors, 1 for runtime failures.

export type ExitCode = 1 | 2;

export class ZtmcpError extends Error {
  override readonly name = "ZtmcpError";
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: ExitCode = 1,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const usageError = (code: string, message: string, details?: Record<string, unknown>): ZtmcpError =>
  new ZtmcpError(code, message, 2, details);
