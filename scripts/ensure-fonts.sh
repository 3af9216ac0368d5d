#!/usr/bin/env bash
# Make sure the colour emoji font the share posters draw emoji with (Noto Color Emoji, SIL OFL,
# Debian's fonts-noto-color-emoji) is present. Without it posters still render, emoji without
# colour, and the app logs why; so a machine where it cannot be installed only gets a warning.
set -uo pipefail
font=/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
[ -f "$font" ] && exit 0
fc-list 2>/dev/null | grep -q "Noto Color Emoji" && exit 0
package=fonts-noto-color-emoji
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "Installing $package for the share posters' emoji (apt-get)..."
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y -qq "$package" >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq "$package" >/dev/null; }; } && exit 0
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  echo "Installing $package for the share posters' emoji (sudo apt-get)..."
  sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq \
    && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null && exit 0
fi
echo "Share posters will draw emoji without colour until $package is installed:" >&2
echo "  sudo apt-get install $package" >&2
exit 0
