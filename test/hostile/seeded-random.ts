// A seeded generator (mulberry32), so a failing fault run can be replayed with ZTMCP_FAULT_SEED.
export interface Random {
  seed: number;
  next(): number;
  int(maxExclusive: number): number;
}

export function seededRandom(seed = Number(process.env.ZTMCP_FAULT_SEED ?? Date.now() % 2 ** 31)): Random {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { seed, next, int: (max) => Math.floor(next() * max) };
}
