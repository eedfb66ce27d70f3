#!/usr/bin/env bash
# System packages: Debian's chromium for the browser tests, fonts-noto-cjk so that pages, screenshots and
# PDF documents show Chinese, and Pango for WeasyPrint's PDF documents. Never fails the install: everything
# else works without them (documents are then served as HTML only).
set -uo pipefail

# Debian package, and a file that shows it is installed.
LIBDIR="/usr/lib/$(uname -m)-linux-gnu"  # Debian's multiarch directory (x86_64, aarch64)
PACKAGES=(
    "chromium:/usr/bin/chromium"
    "fonts-noto-cjk:/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
    "libpango-1.0-0:${LIBDIR}/libpango-1.0.so.0"
    "libpangoft2-1.0-0:${LIBDIR}/libpangoft2-1.0.so.0"
    "poppler-utils:/usr/bin/pdftotext"
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
    echo "warning: missing ${missing[*]}; the browser tests or PDF documents cannot run (or show no Chinese)." >&2
    echo "         To install: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "warning: ${missing[*]} missing and apt-get is not available;" >&2
    echo "         install them by other means to run the browser tests and make PDF documents." >&2
    exit 0
fi

echo "Installing Debian's ${missing[*]} for the browser tests and PDF documents ..."
if apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"; then
    exit 0
fi
echo "warning: installing ${missing[*]} failed; the browser tests or PDF documents cannot run." >&2
exit 0
