// Log lines held in memory until enough are pending, then written with one write(2). pino's own
// destination (sonic-boom) can batch too (`minLength`), but it measures its pending buffer with
// Buffer.byteLength on every line, which flattens the growing concatenated string each time: at
// 4 KB, ~2.3 KB copied per audit line (docs/performance.md). Here a line is pushed to an array and
// the batch joined once; sonic-boom, unbuffered and synchronous, still does the writing (partial
// writes, EAGAIN on a non-blocking stderr).
import type { DestinationStream } from "pino";

/** What a batch writes to: a synchronous sonic-boom (pino.destination) with no buffering of its own. */
export interface SyncWriter {
  write(chunk: string): boolean;
  flushSync(): void;
}

export class LineBatch implements DestinationStream {
  #lines: string[] = [];
  #chars = 0;

  /** `minChars`: how much is held before a write (0 writes every line at once). */
  constructor(
    readonly writer: SyncWriter,
    private readonly minChars: number,
  ) {}

  write(line: string): void {
    this.#lines.push(line);
    this.#chars += line.length;
    if (this.#chars >= this.minChars) this.flush();
  }

  /** Writes what is held, now. */
  flush(): void {
    if (this.#lines.length === 0) return;
    const chunk = this.#lines.length === 1 ? this.#lines[0]! : this.#lines.join("");
    this.#lines = [];
    this.#chars = 0;
    this.writer.write(chunk);
  }

  /** Writes what is held and waits for the writer (at exit, on a signal). */
  flushSync(): void {
    this.flush();
    this.writer.flushSync();
  }
}
