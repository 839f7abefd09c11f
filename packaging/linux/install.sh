#!/bin/sh
# Install Tenfold for this user: the folder this script is in goes to ~/.local/opt/tenfold, the
# command to ~/.local/bin/tenfold, and Tenfold appears in the desktop's application menu.
# No administrator rights needed. Remove it again with:  sh install.sh --uninstall
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix=${TENFOLD_PREFIX:-$HOME/.local}
dest=$prefix/opt/tenfold
apps=${XDG_DATA_HOME:-$HOME/.local/share}/applications
icons=${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/256x256/apps

if [ "${1:-}" = "--uninstall" ]; then
  rm -rf "$dest" "$prefix/bin/tenfold" "$apps/tenfold.desktop" "$icons/tenfold.png"
  echo "Tenfold removed. Your studies, settings and logs are kept."
  exit 0
fi

if [ "$here" != "$dest" ]; then
  rm -rf "$dest"
  mkdir -p "$(dirname "$dest")"
  cp -R "$here" "$dest"
fi
mkdir -p "$prefix/bin" "$apps" "$icons"
ln -sf "$dest/tenfold" "$prefix/bin/tenfold"
cp "$dest/tenfold.png" "$icons/tenfold.png"
sed "s|^Exec=.*|Exec=$dest/tenfold|" "$dest/tenfold.desktop" > "$apps/tenfold.desktop"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$apps" >/dev/null 2>&1 || true
echo "Tenfold is installed: find it in your applications menu, or run $prefix/bin/tenfold"
