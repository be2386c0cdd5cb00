// Who did it, for logs and audit rows: the OS user running the command.
import { userInfo } from "node:os";

export function osActor(): string {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry (some containers): fall back to the numeric id.
    return process.env.USER ?? `uid:${process.getuid?.() ?? "unknown"}`;
  }
}
