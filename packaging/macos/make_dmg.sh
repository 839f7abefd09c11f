#!/usr/bin/env bash
# Wrap dist/<variant>/Tenfold.app in a disk image with an Applications shortcut (macOS only).
#   bash packaging/macos/make_dmg.sh cpu 0.1.0
# Signing and notarisation (needs an Apple Developer ID; without it, users right-click → Open once):
#   codesign --deep --force --options runtime --sign "Developer ID Application: …" dist/cpu/Tenfold.app
#   xcrun notarytool submit dist/Tenfold-….dmg --keychain-profile … --wait && xcrun stapler staple dist/Tenfold-….dmg
set -euo pipefail
variant=${1:-cpu}
version=${2:-0.1.0}
cd "$(dirname "$0")/../.."
app="dist/$variant/Tenfold.app"
[ -d "$app" ] || { echo "no $app: run packaging/build.py --variant $variant first" >&2; exit 1; }
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
dmg="dist/Tenfold-$version-macos-$(uname -m)-$variant.dmg"
hdiutil create -volname "Tenfold $version" -srcfolder "$staging" -ov -format UDZO "$dmg"
echo "$dmg"
