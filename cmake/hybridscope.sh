#!/usr/bin/env bash
# Set-up entry point of the README's two commands, for a fresh Debian 12 machine as root.
#   bash cmake/hybridscope.sh run [SCENARIO] : install what is missing, build, start the GUI
#                                              (no display: a headless run that writes a JSON and an
#                                              HTML report)
#   bash cmake/hybridscope.sh test           : install what is missing, build, run every test
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

mode=${1:-run}
shift || true
build=${HS_BUILD_DIR:-build}
jobs=$(nproc 2>/dev/null || echo 2)

packages=(g++ cmake ninja-build pkg-config qt6-base-dev libqcustomplot-dev libtbb-dev libyaml-cpp-dev libgl1-mesa-dev)
install_missing() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "hybridscope: installing ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then
      echo "hybridscope: run as root (or install: ${missing[*]})" >&2
      exit 2
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

configure_and_build() {
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
  cmake --build "$build" -j "$jobs"
}

case "$mode" in
  run)
    install_missing "${packages[@]}"
    configure_and_build -DBUILD_TESTING=OFF
    if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
      exec "$build/app/hybridscope" "$@"
    fi
    echo "hybridscope: no display; running the default scenario headless (reports: hybridscope-report.json and hybridscope-report.html)"
    exec "$build/app/hybridscope" "${@:-default}"
    ;;
  test)
    # poppler-utils: the report test renders PDF pages with pdftoppm.
    install_missing "${packages[@]}" poppler-utils
    configure_and_build -DBUILD_TESTING=ON -DHS_WERROR=ON
    cd "$build"
    exec ctest --output-on-failure --timeout 600 -j 1
    ;;
  *)
    echo "usage: bash cmake/hybridscope.sh run [SCENARIO] | test" >&2
    exit 2
    ;;
esac
