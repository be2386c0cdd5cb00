// A logger whose lines tests can read back as parsed objects.
import { Writable } from "node:stream";
import { createLogger, type Logger } from "../../src/common/log.js";

export interface CapturedLog {
  log: Logger;
  events: Record<string, unknown>[];
  /** Every raw line, for "never appears in a log" assertions. */
  text(): string;
  /** Resolves with the first event matching, waiting for it if needed. */
  waitFor(match: (e: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export function captureLog(level = "debug"): CapturedLog {
  const events: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const waiters: { match: (e: Record<string, unknown>) => boolean; resolve: (e: Record<string, unknown>) => void }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) {
        raw.push(line);
        const event = JSON.parse(line) as Record<string, unknown>;
        events.push(event);
        for (const w of [...waiters]) {
          if (!w.match(event)) continue;
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(event);
        }
      }
      done();
    },
  });
  return {
    log: createLogger({ level, destination: sink }),
    events,
    text: () => raw.join("\n"),
    waitFor(match, timeoutMs = 10_000) {
      const found = events.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("log event not seen in time")), timeoutMs);
        waiters.push({
          match,
          resolve: (e) => {
            clearTimeout(timer);
            resolve(e);
          },
        });
      });
    },
  };
}
