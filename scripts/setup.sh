#!/usr/bin/env bash
# Installs what Limber needs into .venv, idempotently. Each mode installs only what it names:
#   scripts/setup.sh --run    (make run)  the project with its local extras: ask-sdk-core, pyttsx3,
#                             PyYAML - and Debian's espeak-ng and aplay for speech, if missing
#   scripts/setup.sh          the project with its dev extras: everything the tests import
#   scripts/setup.sh --system (make test) the dev extras, and Debian's espeak-ng and sox (audio
#                             tests) and the npm tools of package-lock.json (ASK CLI, APL
#                             validator, dynalite)
# Uses sudo for apt-get when not root. Safe to run again; skips what is already there and
# reinstalls when pyproject.toml (or package-lock.json) changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
mode=${1:-}
case "$mode" in
  "" | --run | --system) ;;
  --speech) mode=--run ;;  # the old name of --run
  *) echo "usage: scripts/setup.sh [--run | --system]" >&2; exit 2 ;;
esac

apt_install() {  # apt_install PACKAGE...: install what is missing from Debian's packages
  local SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  command -v apt-get >/dev/null || { echo "setup: no apt-get; please install $*"; return 1; }
  echo "setup: installing $* from Debian's packages"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

if [[ $mode == --run ]]; then
  # Speech needs espeak-ng, and aplay (alsa-utils) to play it on Linux. Without them the
  # console still works, as text; so a failure here is not fatal.
  need=()
  command -v espeak-ng >/dev/null || need+=(espeak-ng)
  command -v aplay >/dev/null || need+=(alsa-utils)
  if ((${#need[@]})); then apt_install "${need[@]}" || echo "setup: speech will be off (text only)"; fi
fi

if [[ $mode == --system ]]; then
  need=()
  command -v espeak-ng >/dev/null || need+=(espeak-ng)
  command -v sox >/dev/null || need+=(sox)
  if ((${#need[@]})); then apt_install "${need[@]}"; fi
  # npm writes node_modules/.package-lock.json on every install: older than the lock file
  # means package-lock.json changed since (a symlinked node_modules is someone else's: left alone).
  if [[ -f package-lock.json && ! -L node_modules ]] && command -v npm >/dev/null &&
     [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    echo "setup: installing npm tools (package-lock.json)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi

if [[ ! -x .venv/bin/python ]]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
fi
installed() {  # installed STAMP: that install is done and pyproject.toml has not changed since
  [[ -f .venv/$1 && ! pyproject.toml -nt .venv/$1 ]]
}
if [[ $mode == --run ]]; then
  # The dev extras include the local ones.
  if ! installed .limber-run && ! installed .limber-dev; then
    echo "setup: installing limber[local] into .venv"
    .venv/bin/python -m pip install -q -e ".[local]"
    touch .venv/.limber-run
  fi
elif ! installed .limber-dev && ! installed .limber-installed; then  # (the old name of the stamp)
  echo "setup: installing limber[dev] into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  touch .venv/.limber-dev
fi
