#!/usr/bin/env bash
# Debian's python3 ships without venv; install python3-venv when we can, else say how.
set -euo pipefail
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "Installing python3-venv (apt-get)..."
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
else
  echo "Python cannot create a virtual environment here. Install it with:" >&2
  echo "  sudo apt-get install python3-venv" >&2
  exit 1
fi
