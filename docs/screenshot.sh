#!/usr/bin/env bash
# Screenshot of the built AirflowClient reference page, to check by eye that its signature and
# docstring render. Needs Debian's chromium (`apt-get install -y chromium`); not run by CI (the
# cheap check is tests/unit/test_docs_build.py, which reads the built HTML).
#   bash docs/screenshot.sh [OUT.png]        (default: out/airflowclient-reference.png)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-out/airflowclient-reference.png}"
mkdir -p "$(dirname "$out")"
NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict --clean --site-dir site
port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
.venv/bin/python -m http.server --bind 127.0.0.1 --directory site "$port" >/dev/null 2>&1 &
server=$!
profile=$(mktemp -d)
trap 'kill "$server"; rm -rf "$profile"' EXIT
for _ in $(seq 50); do
  .venv/bin/python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/')" 2>/dev/null && break
  sleep 0.1
done
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --screenshot="$(realpath "$out")" --window-size=1280,1600 \
  "http://127.0.0.1:$port/reference/client/"
echo "wrote $out"
