#!/usr/bin/env bash
# Installs everything Limber's console and tests need, idempotently:
#   scripts/setup.sh          the virtual environment with the project and its dev extras
#   scripts/setup.sh --system also Debian's espeak-ng and sox (audio tests) and npm tools
# Uses sudo for apt-get when not root. Safe to run again; skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

apt_install() {  # apt_install PACKAGE...: install what is missing from Debian's packages
  local SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  command -v apt-get >/dev/null || { echo "setup: no apt-get; please install $*"; return 1; }
  echo "setup: installing $* from Debian's packages"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

if [[ "${1:-}" == "--speech" ]]; then
  # For `make run`: speech needs espeak-ng, and aplay (alsa-utils) to play it on Linux.
  # Without them the console still works, as text; so a failure here is not fatal.
  need=()
  command -v espeak-ng >/dev/null || need+=(espeak-ng)
  command -v aplay >/dev/null || need+=(alsa-utils)
  if ((${#need[@]})); then apt_install "${need[@]}" || echo "setup: speech will be off (text only)"; fi
fi

if [[ "${1:-}" == "--system" ]]; then
  need=()
  command -v espeak-ng >/dev/null || need+=(espeak-ng)
  command -v sox >/dev/null || need+=(sox)
  if ((${#need[@]})); then apt_install "${need[@]}"; fi
  if [[ -f package.json ]] && [[ ! -d node_modules ]] && command -v npm >/dev/null; then
    echo "setup: installing npm tools (package-lock.json)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi

if [[ ! -x .venv/bin/python ]]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.limber-installed
if [[ ! -f $stamp || pyproject.toml -nt $stamp ]]; then
  echo "setup: installing limber[dev] into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  touch "$stamp"
fi
