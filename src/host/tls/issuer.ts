// Which of the host's trusted intermediates signed a client's leaf, decided from the signature
// itself. Node's `issuerCertificate` is whatever the client sent next in its chain, and the path
// OpenSSL verified is not exposed: a client could put the root (or anything) after its leaf and
// have the gate check the wrong certificate against the root CRL. Here the order and padding of
// the presented chain play no part; a leaf signed by anything else (the root directly, another
// intermediate of our root) has no issuer. Verified once per leaf (cached by fingerprint, which
// covers the signature), so resumed sessions and reconnects cost a Map lookup.
import type { X509Certificate } from "node:crypto";
import { BoundedMap } from "../../common/bounded-map.js";
import { normalizeSerial } from "../../pki/serial.js";

const MAX_REMEMBERED_LEAVES = 100_000;

export class IssuerCheck {
  /** Leaf fingerprint → serial of the intermediate that signed it, or null for none of ours. */
  readonly #verdicts: BoundedMap<string, string | null>;

  constructor(
    private readonly intermediates: readonly X509Certificate[],
    max = MAX_REMEMBERED_LEAVES,
  ) {
    this.#verdicts = new BoundedMap(max);
  }

  /** Serial of the trusted intermediate whose key signed this leaf; undefined when none did. */
  serialOf(fingerprint: string, parsed: () => X509Certificate): string | undefined {
    const known = this.#verdicts.get(fingerprint);
    if (known !== undefined) return known ?? undefined;
    const leaf = parsed();
    const issuer = this.intermediates.find((ca) => leaf.checkIssued(ca) && safeVerify(leaf, ca));
    const serial = issuer ? normalizeSerial(issuer.serialNumber) : null;
    this.#verdicts.set(fingerprint, serial);
    return serial ?? undefined;
  }
}

function safeVerify(leaf: X509Certificate, ca: X509Certificate): boolean {
  try {
    return leaf.verify(ca.publicKey);
  } catch {
    return false;
  }
}
