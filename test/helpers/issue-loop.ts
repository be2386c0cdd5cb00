// A CA client that issues (and now and then revokes) in a loop until it is killed: the SIGKILL
// tests start it, wait for its first line, and kill it at a random point of its work.
// Usage: node --import tsx test/helpers/issue-loop.ts <caDir> <certsDir> [names=3]
import { Authority } from "../../src/authority/authority.js";
import { createLogger } from "../../src/common/log.js";

const [caDir, certsDir, namesText] = process.argv.slice(2);
if (!caDir || !certsDir) throw new Error("usage: issue-loop.ts <caDir> <certsDir> [names]");
const names = Number(namesText ?? 3);
const ca = await Authority.open({ caDir, certsDir, log: createLogger({ level: "silent" }) });
for (let i = 0; ; i++) {
  const name = `loop-${i % names}`;
  const issued = await ca.issue({ name, roles: ["reader"], ttl: "1h" });
  process.stdout.write(`issued ${issued.serial}\n`);
  if (i % 4 === 3) {
    await ca.revoke(name, "superseded");
    process.stdout.write(`revoked ${name}\n`);
  }
}
