// Globs in policies: `*` any run of characters, `?` one character, everything else literal.
// In SPIFFE ID patterns `*` stops at `/`, so `spiffe://td/agent/ci-*` cannot reach `…/host/…`.
// Neither ever matches a control or format character (newlines, NUL, bidi overrides, zero-width
// marks): a name carrying one is not the name an operator wrote a glob for.

/** Characters no wildcard stands for: Unicode general categories Cc (controls) and Cf (format, incl. bidi). */
const INVISIBLE = "\\p{Cc}\\p{Cf}";

export function globToRegExp(glob: string, { pathAware = false } = {}): RegExp {
  const one = pathAware ? `[^/${INVISIBLE}]` : `[^${INVISIBLE}]`;
  let source = "";
  for (const ch of glob) {
    if (ch === "*") source += `${one}*`;
    else if (ch === "?") source += one;
    // Only syntax characters are escaped: the `u` flag refuses needless escapes such as `\-`.
    else source += ch.replace(/[.+^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "u");
}
