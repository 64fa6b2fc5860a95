#!/usr/bin/env bash
# Set up everything the README's two commands need, on a fresh machine:
#   1. a virtual environment in .venv with atr-model and its test, dask and baseline extras;
#   2. Debian's Chromium for the browser tests (Playwright drives it; never `playwright install`),
#      installed when missing, apt-get exists and we are root or sudo works without a password;
#   3. `atr-model quickstart`: build (or reuse) the Kyrgyz dataset in the cache, else the demo.
# `.ci/run` calls this same script, so the README and CI cannot drift apart.
# Options: --no-quickstart skips step 3 (CI builds its datasets inside the tests).
set -euo pipefail
cd "$(dirname "$0")"

quickstart=1
for arg in "$@"; do
  case "$arg" in
    --no-quickstart) quickstart=0 ;;
    *) echo "setup.sh: unknown option $arg (known: --no-quickstart)" >&2; exit 2 ;;
  esac
done

# 1. Python environment (reused when it is there; pip only adds what is missing).
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -e ".[test,dask,baseline,scip]"

# 2. Chromium for the browser tests.
have_chromium() {
  [ -n "${ATR_CHROMIUM:-}" ] && [ -x "${ATR_CHROMIUM}" ] && return 0
  [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1
}
if ! have_chromium; then
  sudo_cmd=""
  can_install=0
  if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
      can_install=1
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo_cmd="sudo -n"
      can_install=1
    fi
  fi
  if [ "$can_install" -eq 1 ]; then
    echo "setup.sh: installing Debian's chromium for the browser tests" >&2
    # word splitting of $sudo_cmd is wanted: empty as root, "sudo -n" otherwise
    # shellcheck disable=SC2086
    { $sudo_cmd apt-get update -qq \
      && $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
      || echo "setup.sh: apt-get could not install chromium" >&2
  fi
  if ! have_chromium; then
    echo "setup.sh: Chromium is missing; browser tests will fail. Install it with: sudo apt-get install -y chromium (or set ATR_CHROMIUM=/path/to/chromium)" >&2
  fi
fi

# 3. The dataset the app opens on.
if [ "$quickstart" -eq 1 ]; then
  .venv/bin/atr-model quickstart
fi
