// Globs in policies: `*` any run of characters, `?` one character, everything else literal.
// In SPIFFE ID patterns `*` stops at `/`, so `spiffe://td/agent/ci-*` cannot reach `…/host/…`.

export function globToRegExp(glob: string, { pathAware = false } = {}): RegExp {
  const star = pathAware ? "[^/]*" : ".*";
  const one = pathAware ? "[^/]" : ".";
  let source = "";
  for (const ch of glob) {
    if (ch === "*") source += star;
    else if (ch === "?") source += one;
    else source += ch.replace(/[.+^${}()|[\]\\/-]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "s");
}
