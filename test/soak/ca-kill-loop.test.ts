// The long CA fault run (`make soak`): ≥ 200 SIGKILLed issue/revoke commands, then four
// processes at once for several rounds, with the same checks as test/hostile/ca-faults.test.ts.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { CaUnderFault } from "../hostile/ca-under-fault.js";
import { seededRandom } from "../hostile/seeded-random.js";
import { Tally } from "../hostile/tally.js";

const SOAK = process.env.ZTMCP_SOAK === "1";
const KILLS = Number(process.env.SOAK_KILLS ?? 200);
const tally = new Tally("ca soak");

after(() => {
  if (SOAK) process.stdout.write(tally.summary() + "\n");
});

test(`${KILLS} SIGKILLed issue/revoke commands and concurrent rounds leave a consistent CA`, { skip: !SOAK && "set ZTMCP_SOAK=1 (make soak)", timeout: 3 * 3_600_000 }, async () => {
  const random = seededRandom();
  process.stderr.write(`hostile ca soak: seed ${random.seed}\n`);
  const ca = new CaUnderFault(tally, random);
  await ca.init();
  for (let done = 0; done < KILLS; done += 50) {
    await ca.killLoop(Math.min(50, KILLS - done), ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"]);
    await ca.verify(); // checked every 50 kills, so a failure points at a short stretch
  }
  await ca.concurrent(5);
  await ca.verify();
  assert.deepEqual(tally.problems, []);
  assert.equal(tally.crashes, 0);
  assert.equal(tally.recordsLost, 0);
});
