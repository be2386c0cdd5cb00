#!/usr/bin/env bash
# Installs the system tools tests and benchmarks use (openssl, curl, nginx…) when missing.
# Debian packages through apt-get; needs root (as in CI) or passwordless sudo. An argument is a
# command that is also its package's name, or `command:package` (promtool:prometheus).
set -euo pipefail
missing=()
for spec in "$@"; do
  tool=${spec%%:*}
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing+=("${spec#*:}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "ensure-tools: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo -n"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
