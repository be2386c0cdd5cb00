// The V8 flags every ztmcp process runs with. They can only be given when Node starts, so they
// are written out where ztmcp starts: bin.ts's shebang (`npx ztmcp`, an installed `ztmcp`), the
// Makefile's ZTMCP, scripts/serve-mesh.sh, and the bench's host process; a test checks all four
// say exactly this.
//
// --max-semi-space-size=4: V8 grows the young generation up to 16 MB a semi-space (48 MB of
// new space) while a process allocates fast (loading modules, a burst of handshakes) and keeps it.
// Capped at 4 MB, a host holding 1,000 idle mTLS connections is ~12 MB smaller. 2 MB saves ~6 MB
// more but scavenges twice as often: ~8% more CPU per routed call (docs/performance.md, "Memory").
export const NODE_FLAGS = ["--max-semi-space-size=4"] as const;
