// The hostile suite's ledger: every input tried and fault injected is logged with what the
// system did about it, and each file ends with the one-line summary the issue asks for.
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

  private line(text: string): void {
    if (process.env.ZTMCP_HOSTILE_VERBOSE !== "0") process.stderr.write(`hostile ${this.label}: ${text}\n`);
  }
}
