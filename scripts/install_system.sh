#!/usr/bin/env bash
# System packages that only the browser tests need: Debian's chromium, and fonts-noto-cjk so that pages
# (and their screenshots) show Chinese. Never fails the install: everything else works without them.
set -uo pipefail

# Debian package, and a file that shows it is installed.
PACKAGES=(
    "chromium:/usr/bin/chromium"
    "fonts-noto-cjk:/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
)

missing=()
for entry in "${PACKAGES[@]}"; do
    if [ ! -e "${entry#*:}" ]; then
        missing+=("${entry%%:*}")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

if [ "${EUID}" -ne 0 ]; then
    echo "warning: missing ${missing[*]}; the browser tests cannot run (or show no Chinese)." >&2
    echo "         To install: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "warning: ${missing[*]} missing and apt-get is not available;" >&2
    echo "         install them by other means to run the browser tests." >&2
    exit 0
fi

echo "Installing Debian's ${missing[*]} for the browser tests ..."
if apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"; then
    exit 0
fi
echo "warning: installing ${missing[*]} failed; the browser tests cannot run." >&2
exit 0
