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

packages=(g++ cmake ninja-build pkg-config qt6-base-dev qt6-websockets-dev libqcustomplot-dev libtbb-dev libyaml-cpp-dev libgl1-mesa-dev)
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

# Line tables only (-g1): stack traces, gdb backtraces and sanitizer reports keep their file:line,
# and the three trees of the test command compile about a fifth faster than with full -g.
debug_flags=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG")
configure_and_build() {
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${debug_flags[@]}" "$@"
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
    # poppler-utils: the report test renders PDF pages with pdftoppm. clang and its runtime
    # (libclang-rt-14-dev: ASan, UBSan, libFuzzer) build the fuzz targets. prometheus (with
    # promtool): tst_serve_cli checks /metrics with promtool and scrapes a served run with it. lld: the linker (CMakeLists.txt).
    install_missing "${packages[@]}" poppler-utils clang libclang-rt-14-dev lld prometheus
    # Three trees, each with every warning an error:
    #  1. $build: the whole program and every test (engine, integration, GUI) but the fuzz
    #     replays, which tree 2 runs under ASan+UBSan;
    #  2. $build-fuzz: clang with ASan+UBSan and libFuzzer coverage: the engine tests, the fuzz
    #     replays, and each fuzz target fuzzed for HS_FUZZ_SECONDS (default 5 s, two at a time:
    #     six targets, and the whole test command must stay under 30 minutes on 2 cores; fuzz
    #     longer by hand);
    #  3. $build-tsan: gcc with ThreadSanitizer: the engine tests that run threads.
    # The sanitized trees build only what their tests need, and skip tst_lessons, whose claims are
    # timing figures a 2-15x slower build does not keep (the engine paths it uses are covered by
    # the other engine tests), and tst_queueing, whose measured waits are compared with queueing
    # theory and so with the engine's own overhead, which a sanitizer multiplies (its engine paths
    # are tst_engine's). The TSan tree also skips the single-threaded tests (arrival schedules,
    # units, IPC frames, fuzz replays, the --vary grammar, scenario parsing, writing and edits,
    # lesson formats, the single-threaded simulator and the calibration profile's checks, the
    # autoscale control laws on synthetic samples and the bake-off's arithmetic), which
    # ASan+UBSan already cover, and the tests whose threads are the engine's own, run by tst_engine
    # and tst_procs under TSan too:
    # tst_diagnostics (rules are functions of frames), tst_procs_worker (the worker's protocol),
    # tst_sweeprunner (sweep points are engine runs). tst_procs (a minute of mostly waiting for
    # timeouts and deaths) runs in the other two trees; under TSan the procs domain's threads run in
    # tst_locks (procs stages under process locks, a worker killed holding one and restarted),
    # tst_autoscale_engine (procs resized live), tst_gil and tst_serve; its error paths (timeout
    # escalation, bad replies, failed launches) run under ASan+UBSan.
    configure_and_build -DBUILD_TESTING=ON -DHS_WERROR=ON -DHS_FUZZ_REPLAYS=OFF
    (cd "$build" && ctest --output-on-failure --timeout 600 -j 1)

    # sanitized_tree DIR LABELS EXCLUDE: configure with the cmake arguments in $cfg, build the
    # executables of the tests with a label matching LABELS whose name does not match EXCLUDE (and
    # the worker they start), run those tests one at a time, then the fuzz targets (label fuzzrun:
    # single-threaded, each on its own core) side by side.
    sanitized_tree() {
      local dir=$1 labels=$2 exclude=$3
      cmake -S . -B "$dir" -G Ninja -DBUILD_TESTING=ON -DHS_WERROR=ON -DHS_BUILD_GUI=OFF "${cfg[@]}"
      local targets
      targets=$(cd "$dir" && ctest -N -L "$labels" -E "$exclude" | sed -n 's/^ *Test *#[0-9]*: *//p' \
        | sed -e 's/^fuzz_replay_/replay_/' -e 's/^fuzz_run_/fuzz_/')
      # shellcheck disable=SC2086 # one word per target
      cmake --build "$dir" -j "$jobs" --target hybridscope-worker $targets
      (cd "$dir" && ctest --output-on-failure --timeout 900 -j 1 -L "$labels" -LE fuzzrun -E "$exclude")
      if [[ $labels == *fuzzrun* ]]; then
        (cd "$dir" && ctest --output-on-failure --timeout 900 -j "$jobs" -L fuzzrun -E "$exclude")
      fi
    }

    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    cfg=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_FLAGS_DEBUG="-g1 -O1"
         -DHS_SANITIZER=asan -DHS_FUZZ=ON -DHS_FUZZ_SECONDS="${HS_FUZZ_SECONDS:-5}")
    # The queueing-theory and tuning-math tests (pure functions of numbers), the arrival
    # schedules' statistics and the simulator's closed forms (long single-threaded sampling; the
    # schedules run under ASan in every engine test, the simulator in tst_lessons_sim: every
    # lesson's scenario and steps) run in $build only, and so do the findings' rules (their runs
    # are the engine's, under ASan in tst_engine, and every run's end diagnoses its frames).
    sanitized_tree "$build-fuzz" 'engine|fuzzrun' '^(tst_lessons|tst_queueing|tst_theory|tst_tunesearch|tst_sweepanalysis|tst_arrivals|tst_simulator|tst_diagnostics)$'

    export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 history_size=7 suppressions=$PWD/cmake/tsan.supp"
    cfg=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "${debug_flags[@]}" -DHS_SANITIZER=tsan)
    sanitized_tree "$build-tsan" engine \
      '^(tst_lessons|tst_queueing|tst_arrivals|tst_units|tst_procs_ipc|tst_theory|tst_tunesearch|tst_sweepplan|tst_sweepanalysis|tst_scenarioedit|tst_simulator|tst_lessons_sim|tst_calibration|tst_scenarioparser|tst_scenariowriter|tst_lessonformat|tst_diagnostics|tst_procs_worker|tst_sweeprunner|tst_autoscale|tst_bakeoff|tst_procs|fuzz_replay_.*)$'
    ;;
  *)
    echo "usage: bash cmake/hybridscope.sh run [SCENARIO] | test" >&2
    exit 2
    ;;
esac
