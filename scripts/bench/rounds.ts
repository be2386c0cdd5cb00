// Contenders measured in interleaved rounds (A B C, B C A, C A B, …) and summarized by the
// median of their rounds: a neighbour's burst of CPU on this shared machine then lands on every
// contender alike instead of on whichever happened to run at that moment. The order rotates, so
// no contender always runs first (after the idle gap) or right after the slowest one.
import { median } from "./stats.js";
import { progress } from "./report.js";

export async function interleave<T>(names: readonly string[], rounds: number, measure: (name: string, round: number) => Promise<T>): Promise<Map<string, T[]>> {
  const results = new Map<string, T[]>(names.map((n) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    progress(`  round ${round + 1}/${rounds}`);
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length]!;
      results.get(name)!.push(await measure(name, round));
    }
  }
  return results;
}

/** The median of one numeric field over a contender's rounds. */
export function medianOf<T>(values: readonly T[], pick: (v: T) => number): number {
  return median(values.map(pick));
}
