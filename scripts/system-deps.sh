#!/usr/bin/env bash
# System packages the test suite needs (Debian): Chromium and its driver for the browser tests and the figure
# export, redis-server for the Redis tests, fonts-noto-cjk so that Japanese labels render in exports (PNG, SVG,
# PDF, PPTX), poppler-utils (pdffonts) to check that a PDF embeds that font, r-base-core and r-cran-survival to
# run the generated R scripts of 'Reproduce this view' (tests/test_reproduce.py; never a runtime dependency).
# Installs what is missing when run as root; otherwise says what to install.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v pdffonts >/dev/null 2>&1 || need+=(poppler-utils)
command -v Rscript >/dev/null 2>&1 || need+=(r-base-core)
{ command -v Rscript >/dev/null 2>&1 && Rscript -e 'library(survival)' >/dev/null 2>&1; } || need+=(r-cran-survival)
[ -d /usr/share/fonts/opentype/noto ] && ls /usr/share/fonts/opentype/noto/NotoSansCJK-* >/dev/null 2>&1 \
  || need+=(fonts-noto-cjk)
[ "${#need[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${need[@]}"
else
  echo "The tests need these Debian packages: ${need[*]} (sudo apt-get install ${need[*]})" >&2
  exit 1
fi
