#!/usr/bin/env bash
# Cross-builds the bare-metal harness of every emulated board and the QEMU
# instruction-count plugin, into build/boards/.
#
#   bash boards/build.sh                 build everything (both -O2 and -Os)
#   bash boards/build.sh link BOARD OPT BLOB OUT.elf [EXTRA.o...]
#                                        link a harness image around a job blob
#   bash boards/build.sh flags BOARD     print the board's compiler flags
#   bash boards/build.sh board BOARD OPT [small]
#                                        rebuild one board variant (and the plugin)
#   bash boards/build.sh cmsis BOARD OPT DIR
#                                        compile CMSIS-NN (a checkout at DIR, never committed)
#                                        and boards/bench/cmsis_har.c into build/boards/BOARD/OPT-cmsis
#
# The kernel sources are native-modules/core/*.c (TBN_KERNEL_DIR overrides).
# Every C file is compiled with -Wall -Wextra -Werror -ffp-contract=off (the
# kernel with -Wconversion too).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${TBN_BOARDS_OUT:-$ROOT/build/boards}"
KERNEL_DIR="${TBN_KERNEL_DIR:-$ROOT/native-modules/core}"
BOARDS=(stm32f405 esp32c3 esp8266)
OPTS=(O2 Os)

board_cc() {
  case "$1" in
    stm32f405) echo arm-none-eabi-gcc ;;
    esp32c3) echo riscv64-unknown-elf-gcc ;;
    esp8266) echo xtensa-lx106-elf-gcc ;;
    *) echo "boards/build.sh: unknown board $1" >&2; exit 2 ;;
  esac
}

board_arch_flags() {
  case "$1" in
    stm32f405) echo "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16" ;;
    esp32c3) echo "-march=rv32imc -mabi=ilp32 -mcmodel=medany" ;;
    esp8266) echo "-mlongcalls" ;;
  esac
}

board_ld() {
  case "$1" in
    stm32f405) echo "$ROOT/boards/stm32f405/stm32f405.ld" ;;
    esp32c3) echo "$ROOT/boards/esp32c3/virt.ld" ;;
    esp8266) echo "$ROOT/boards/esp8266/sim.ld" ;;
  esac
}

board_startup() {
  case "$1" in
    stm32f405) echo "$ROOT/boards/stm32f405/startup.c" ;;
    esp32c3) echo "$ROOT/boards/esp32c3/start.S $ROOT/boards/esp32c3/io.c" ;;
    esp8266) echo "$ROOT/boards/esp8266/start.S $ROOT/boards/esp8266/io.c $ROOT/boards/esp8266/softfloat.c" ;;
  esac
}

common_flags() {
  echo "-std=c99 -ffreestanding -ffp-contract=off -Wall -Wextra -Werror -ffunction-sections -fdata-sections -g"
}

need() {
  command -v "$1" >/dev/null || {
    echo "boards/build.sh: $1 not found; run scripts/setup-toolchains.sh (as root on Debian) or install: $2" >&2
    exit 1
  }
}

# compile_board BOARD OPT [small]: into $OUT/BOARD/OPT, or OPT-small with the
# size-first kernel (-DTBN_SMALL, native-modules/core/README.md).
compile_board() {
  local board=$1 opt=$2 variant=${3:-}
  local cc arch dir inc kflags=""
  cc=$(board_cc "$board")
  arch=$(board_arch_flags "$board")
  dir="$OUT/$board/$opt${variant:+-$variant}"
  [[ "$variant" == small ]] && kflags="-DTBN_SMALL"
  inc="-I$ROOT/native-modules -I$ROOT/boards/harness -isystem $ROOT/boards/harness/include"
  rm -rf "$dir"
  mkdir -p "$dir/kernel" "$dir/harness"
  local src
  shopt -s nullglob
  local kernel_srcs=("$KERNEL_DIR"/*.c)
  shopt -u nullglob
  if ((${#kernel_srcs[@]} == 0)); then
    echo "boards/build.sh: no kernel sources in $KERNEL_DIR" >&2
    exit 1
  fi
  for src in "${kernel_srcs[@]}"; do
    # shellcheck disable=SC2086
    # -Wconversion as Espruino builds its modules: the kernel stays clean there too
    $cc $arch $(common_flags) -Wconversion $kflags -$opt -fstack-usage -fcallgraph-info=su $inc -c "$src" -o "$dir/kernel/$(basename "${src%.c}").o"
  done
  # shellcheck disable=SC2086
  $cc $arch $(common_flags) -$opt -fstack-usage $inc -c "$ROOT/boards/harness/harness.c" -o "$dir/harness/harness.o"
  # shellcheck disable=SC2086
  $cc $arch $(common_flags) -$opt -fno-tree-loop-distribute-patterns $inc -c "$ROOT/boards/harness/libc_min.c" \
    -o "$dir/harness/libc_min.o"
  mkdir -p "$dir/bench"
  # shellcheck disable=SC2086
  $cc $arch $(common_flags) -$opt $inc -c "$ROOT/boards/bench/har_baselines.c" -o "$dir/bench/har_baselines.o"
  for src in $(board_startup "$board"); do
    local base
    base=$(basename "$src")
    # shellcheck disable=SC2086
    $cc $arch $(common_flags) -$opt $inc -c "$src" -o "$dir/harness/${base%.*}.o"
  done
}

# compile_cmsis BOARD OPT DIR: the CMSIS-NN kernels the HAR peer needs (no
# -Werror: not our code) and our harness around them (warnings as errors).
compile_cmsis() {
  local board=$1 opt=$2 cmsis=$3 cc arch dir src n=0
  [[ -d "$cmsis/Include" && -d "$cmsis/Source" ]] || { echo "boards/build.sh: $cmsis is not a CMSIS-NN checkout (no Include/ and Source/)" >&2; exit 1; }
  cc=$(board_cc "$board")
  arch=$(board_arch_flags "$board")
  dir="$OUT/$board/$opt-cmsis"
  # Hosted headers where the toolchain has a libc (newlib for Arm), so word
  # reads through memcpy inline as in a release build; elsewhere the
  # harness's headers, with the string routines as GCC builtins (same effect).
  local libc="-ffreestanding -isystem $ROOT/boards/harness/include -Dmemcpy=__builtin_memcpy -Dmemset=__builtin_memset -Dmemmove=__builtin_memmove"
  [[ "$board" == stm32f405 ]] && libc=""
  rm -rf "$dir"
  mkdir -p "$dir"
  for src in "$cmsis"/Source/{ConvolutionFunctions,NNSupportFunctions,PoolingFunctions,FullyConnectedFunctions}/*.c; do
    case "$(basename "$src")" in *_f16*|*_f32*|*_flt*) continue ;; esac # int8 peer: no float kernels
    n=$((n + 1))
    # shellcheck disable=SC2086
    $cc $arch $libc -std=gnu11 -ffunction-sections -fdata-sections -g -$opt -I"$cmsis/Include" \
      -c "$src" -o "$dir/cmsis_$n.o"
  done
  # shellcheck disable=SC2086
  $cc $arch ${libc:--ffreestanding} -std=gnu11 -ffp-contract=off -Wall -Wextra -Werror -ffunction-sections -fdata-sections -g \
    -$opt -I"$cmsis/Include" -I"$ROOT/native-modules" -c "$ROOT/boards/bench/cmsis_har.c" -o "$dir/cmsis_har.o"
}

build_plugin() {
  need gcc gcc
  mkdir -p "$OUT"
  gcc -O2 -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden "$ROOT/boards/plugin/tbn_count.c" \
    -o "$OUT/libtbn_count.so"
}

link_board() {
  local board=$1 opt=$2 blob=$3 elf=$4
  shift 4
  local cc arch dir
  cc=$(board_cc "$board")
  arch=$(board_arch_flags "$board")
  dir="$OUT/$board/$opt"
  [[ -d "$dir/kernel" ]] || { echo "boards/build.sh: $dir missing; run bash boards/build.sh" >&2; exit 1; }
  local blob_o="${elf%.elf}.blob.o"
  # shellcheck disable=SC2086
  $cc $arch -DBLOB_FILE="\"$blob\"" -c "$ROOT/boards/harness/blob.S" -o "$blob_o"
  # shellcheck disable=SC2086
  $cc $arch -nostdlib -Wl,--gc-sections -Wl,--no-warn-rwx-segments -T "$(board_ld "$board")" \
    "$dir"/harness/*.o "$dir"/kernel/*.o "$blob_o" "$@" -lgcc -o "$elf"
}

# Builds take the lock exclusively and links share it, so concurrent runs
# (parallel test files, another session rebuilding) never see half a build.
mkdir -p "$OUT"
exec 9>"$OUT/.lock"

case "${1:-all}" in
  all)
    flock -x 9
    need arm-none-eabi-gcc "gcc-arm-none-eabi libnewlib-arm-none-eabi"
    need riscv64-unknown-elf-gcc gcc-riscv64-unknown-elf
    need xtensa-lx106-elf-gcc gcc-xtensa-lx106
    for b in "${BOARDS[@]}"; do
      for o in "${OPTS[@]}"; do compile_board "$b" "$o"; done
      compile_board "$b" Os small
    done
    build_plugin
    date -u +%FT%TZ >"$OUT/.stamp"
    ;;
  link)
    [[ $# -ge 5 ]] || { echo "usage: boards/build.sh link BOARD OPT BLOB OUT.elf [EXTRA.o...]" >&2; exit 2; }
    shift
    flock -s 9
    link_board "$@"
    ;;
  board)
    [[ $# -ge 3 ]] || { echo "usage: boards/build.sh board BOARD OPT [small]" >&2; exit 2; }
    flock -x 9
    need "$(board_cc "$2")" "see scripts/setup-toolchains.sh"
    compile_board "$2" "$3" "${4:-}"
    build_plugin
    ;;
  cmsis)
    [[ $# -ge 4 ]] || { echo "usage: boards/build.sh cmsis BOARD OPT DIR" >&2; exit 2; }
    flock -x 9
    compile_cmsis "$2" "$3" "$4"
    ;;
  flags)
    echo "$(board_cc "$2") $(board_arch_flags "$2") $(common_flags)"
    ;;
  *)
    echo "usage: boards/build.sh [all | link BOARD OPT BLOB OUT.elf | board BOARD OPT [small] | cmsis BOARD OPT DIR | flags BOARD]" >&2
    exit 2
    ;;
esac
