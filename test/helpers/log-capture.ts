// A logger whose lines tests can read back as parsed objects.
import { Writable, type Stream } from "node:stream";
import { createLogger, type Logger } from "../../src/common/log.js";

export interface CapturedLog {
  log: Logger;
  events: Record<string, unknown>[];
  /** Every raw line, for "never appears in a log" assertions. */
  text: () => string;
  /** Resolves with the first event matching, waiting for it if needed. */
  waitFor: (match: (e: Record<string, unknown>) => boolean, timeoutMs?: number) => Promise<Record<string, unknown>>;
}

/** Parsed JSON lines as they arrive, with waitFor; `feed` takes raw text (possibly partial lines). */
function lineSink(): { feed: (text: string) => void; view: Omit<CapturedLog, "log"> } {
  const events: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const waiters: { match: (e: Record<string, unknown>) => boolean; resolve: (e: Record<string, unknown>) => void }[] = [];
  let partial = "";
  const feed = (text: string): void => {
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines.filter(Boolean)) {
      raw.push(line);
      if (!line.startsWith("{")) continue;
      const event = JSON.parse(line) as Record<string, unknown>;
      events.push(event);
      for (const w of [...waiters]) {
        if (!w.match(event)) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(event);
      }
    }
  };
  const view: Omit<CapturedLog, "log"> = {
    events,
    text: () => raw.join("\n"),
    waitFor: (match, timeoutMs = 10_000) => {
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
  return { feed, view };
}

export function captureLog(level = "debug"): CapturedLog {
  const { feed, view } = lineSink();
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      feed(chunk.toString());
      done();
    },
  });
  return { log: createLogger({ level, destination: sink }), ...view };
}

/** The pino lines another process writes (its stderr), parsed as they arrive; other lines are kept as text only. */
export function captureStream(stream: Stream): Omit<CapturedLog, "log"> {
  const { feed, view } = lineSink();
  stream.on("data", (d: Buffer) => feed(d.toString()));
  return view;
}
