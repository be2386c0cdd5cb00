// Crash injection for the fault tests: ZTMCP_FAILPOINT=<name> makes the process SIGKILL itself
// at that step, so a test can land exactly between two steps of an issuance instead of hoping a
// random delay does. Costs one environment lookup per step; does nothing when unset.
export type Failpoint = "issue.staged" | "issue.recorded" | "issue.renamed" | "revoke.recorded" | "crl.written";

export function failpoint(name: Failpoint): void {
  if (process.env.ZTMCP_FAILPOINT === name) process.kill(process.pid, "SIGKILL");
}
