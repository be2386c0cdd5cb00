import { test } from "node:test";
import assert from "node:assert/strict";
import { BlockList, isIP } from "node:net";
import { formatIp, inRange, parseCidr, parseIp } from "../../../src/pki/ip-address.js";
import { seededRandom } from "../../hostile/seeded-random.js";

const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;

test("addresses parse to their bytes and print in RFC 5952 form", () => {
  const cases: [string, string, string][] = [
    ["10.0.0.1", "0a000001", "10.0.0.1"],
    ["::ffff:10.0.0.1", "00000000000000000000ffff0a000001", "::ffff:10.0.0.1"],
    ["::FFFF:a00:1", "00000000000000000000ffff0a000001", "::ffff:10.0.0.1"],
    ["::", "00".repeat(16), "::"],
    ["::1", "00".repeat(15) + "01", "::1"],
    ["2001:DB8:0:0:1:0:0:1", "20010db8000000000001000000000001", "2001:db8::1:0:0:1"],
    ["2001:db8:0:1:1:1:1:1", "20010db8000000010001000100010001", "2001:db8:0:1:1:1:1:1"],
    ["1::", "0001" + "00".repeat(14), "1::"],
    ["::10.0.0.1", "00".repeat(12) + "0a000001", "::a00:1"],
  ];
  for (const [input, hex, text] of cases) {
    const ip = parseIp(input);
    assert.equal(ip.bytes.toString("hex"), hex, input);
    assert.equal(ip.text, text, input);
  }
});

test("a thousand random IPv6 addresses round-trip, and Node reads our text as the same address", () => {
  const random = seededRandom(20_251_111);
  for (let i = 0; i < 1000; i++) {
    // Zero groups are common in real addresses and exercise the `::` choice.
    const bytes = Buffer.alloc(16);
    for (let g = 0; g < 8; g++) if (random.int(3) > 0) bytes.writeUInt16BE(random.int(0x10000), g * 2);
    const text = formatIp(bytes);
    assert.equal(isIP(text), 6, text);
    assert.deepEqual(parseIp(text).bytes, bytes, text);
    const full = Array.from({ length: 8 }, (_, g) => bytes.readUInt16BE(g * 2).toString(16)).join(":");
    const list = new BlockList();
    list.addAddress(full, "ipv6");
    assert.ok(list.check(text, "ipv6"), `${text} = ${full}`);
  }
});

test("zone ids, brackets, spaces, leading zeros and malformed groups are refused", () => {
  for (const bad of ["fe80::1%eth0", "[::1]", "1.2.3.4 ", "01.2.3.4", "1.2.3", "256.0.0.1", "1::2::3", ":::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "::g", "::1.2.3", "1.2.3.4::", "localhost", ""]) {
    assert.throws(() => parseIp(bad), code("BAD_IP"), bad);
  }
});

test("CIDR ranges: the network address only, and membership by bytes and family", () => {
  const ten = parseCidr("10.0.0.0/8");
  assert.equal(ten.text, "10.0.0.0/8");
  assert.ok(inRange(parseIp("10.200.1.1").bytes, ten));
  assert.ok(!inRange(parseIp("11.0.0.1").bytes, ten));
  assert.ok(!inRange(parseIp("::ffff:10.0.0.1").bytes, ten), "an IPv4-mapped IPv6 address is not in an IPv4 range");
  const v6 = parseCidr("fd00::/8");
  assert.ok(inRange(parseIp("fd12::1").bytes, v6));
  assert.ok(inRange(parseIp("::1").bytes, parseCidr("::1/128")));
  assert.equal(parseCidr("0.0.0.0/0").text, "0.0.0.0/0");
  for (const bad of ["10.0.0.1/8", "10.0.0.0/33", "10.0.0.0", "::1/129", "fe80::%1/64", "10.0.0.0/8/8"]) assert.throws(() => parseCidr(bad), code("BAD_IP"), bad);
});
