// The hostile suite's ledger: every input tried and fault injected is logged with what the
// system did about it, and each file ends with the one-line summary the issue asks for. The
// files run as children of one test runner; the last of them to finish also prints the total.
import { appendFileSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SUITE = ["tls", "mcp/http", "ca"];

export class Tally {
  inputs = 0;
  faults = 0;
  crashes = 0;
  recordsLost = 0;
  readonly problems: string[] = [];

  constructor(private readonly label: string) {}

  /** A hostile input was sent; `outcome` says how it was answered (e.g. "rejected: unknown_ca"). */
  input(name: string, outcome: string): void {
    this.inputs++;
    this.line(`input ${name}: ${outcome}`);
  }

  fault(name: string, outcome: string): void {
    this.faults++;
    this.line(`fault ${name}: ${outcome}`);
  }

  crash(name: string, detail: string): void {
    this.crashes++;
    this.problems.push(`crash ${name}: ${detail}`);
    this.line(`CRASH ${name}: ${detail}`);
  }

  lost(name: string, detail: string): void {
    this.recordsLost++;
    this.problems.push(`lost ${name}: ${detail}`);
    this.line(`LOST ${name}: ${detail}`);
  }

  problem(detail: string): void {
    this.problems.push(detail);
    this.line(`PROBLEM ${detail}`);
  }

  summary(): string {
    return `hostile ${this.label}: inputs tried ${this.inputs}, faults injected ${this.faults}, crashes ${this.crashes}, records lost ${this.recordsLost}`;
  }

  /** Prints this file's summary and, when every file of the suite has reported, the suite's. */
  finish(): void {
    process.stdout.write(this.summary() + "\n");
    const ledger = join(tmpdir(), `ztmcp-hostile-${process.ppid}.jsonl`);
    appendFileSync(ledger, JSON.stringify({ label: this.label, inputs: this.inputs, faults: this.faults, crashes: this.crashes, recordsLost: this.recordsLost }) + "\n");
    const rows = readFileSync(ledger, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { label: string; inputs: number; faults: number; crashes: number; recordsLost: number });
    if (!SUITE.every((label) => rows.some((r) => r.label === label))) return;
    rmSync(ledger, { force: true });
    const sum = (k: "inputs" | "faults" | "crashes" | "recordsLost"): number => rows.reduce((n, r) => n + r[k], 0);
    process.stdout.write(`hostile suite: inputs tried ${sum("inputs")}, faults injected ${sum("faults")}, crashes ${sum("crashes")}, records lost ${sum("recordsLost")}\n`);
  }

  private line(text: string): void {
    if (process.env.ZTMCP_HOSTILE_VERBOSE !== "0") process.stderr.write(`hostile ${this.label}: ${text}\n`);
  }
}
