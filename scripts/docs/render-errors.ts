// docs/errors.md as a function of the error table, so a test can compare the file with it.
import { ERRORS } from "../../src/common/errors.js";

export function renderErrorsMarkdown(): string {
  const rows = Object.entries(ERRORS).map(([code, spec]) => {
    const wire = [("rpc" in spec ? `JSON-RPC ${String(spec.rpc)}` : ""), ("http" in spec ? `HTTP ${String(spec.http)}` : "")].filter(Boolean).join(", ");
    return `| \`${code}\` | ${String(spec.exit)} | ${wire || "—"} | ${spec.meaning} |`;
  });
  return [
    "# Error codes",
    "",
    "Generated from `src/common/errors.ts` by `make docs`; `make test` fails when the two differ.",
    "The CLI prints `ztmcp: <CODE>: <message>` on stderr (or `{\"error\":{\"code\",\"message\"}}` with",
    "`--json`) and exits with the code's exit status: 2 for usage errors, 1 for runtime failures.",
    "Tests and scripts should match on the code, never on the message.",
    "",
    "| code | exit | on the wire | meaning |",
    "| --- | --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
}
