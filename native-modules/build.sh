#!/usr/bin/env bash
# Host builds of the portable kernel (native-modules/core) into build/native/:
#   tbn.wasm        wasm32, no libc, SIMD128 (the simulator's `tbn` module)
#   tbn_cli_asan    native test harness, -fsanitize=address,undefined
#   tbn_cli         native harness, plain -O2 -g (callgrind benchmark)
#   tbn_fuzz        libFuzzer target (open + run), ASan + UBSan
#   tbn_selftest    API edge cases (NULLs, alignment, short buffers), ASan + UBSan
#
#   bash native-modules/build.sh           build the four artifacts
#   bash native-modules/build.sh targets   only (d), without rebuilding the artifacts
#   bash native-modules/build.sh check     both; (d) = -Wall -Wextra -Werror -std=c99 -pedantic
#       compile of the core for x86-64 (gcc, clang), wasm32, Cortex-M4, rv32imc and
#       xtensa-lx106, and an nm check that no object needs a division, popcount or
#       64-bit helper (only memcpy/memset and soft-float routines the target's libgcc has)
#
# Needs: clang, lld (wasm-ld), gcc; libFuzzer/sanitizer runtimes (Debian: libclang-rt-14-dev);
# for `check`: gcc-arm-none-eabi, gcc-riscv64-unknown-elf, gcc-xtensa-lx106.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../build/native"
mkdir -p "$out"
cd "$here"

CORE=(core/tbn_open.c core/tbn_run.c)
WARN=(-std=c99 -pedantic -Wall -Wextra -Werror -ffp-contract=off)
CLANG=${CLANG:-clang}

need() { command -v "$1" >/dev/null || { echo "native-modules/build.sh: '$1' not found ($2)" >&2; exit 1; }; }
need "$CLANG" "apt-get install clang"
need wasm-ld "apt-get install lld"

mode=${1:-build}
if [[ "$mode" != targets ]]; then
# (a) WebAssembly: memcpy/memset lower to memory.copy/memory.fill (bulk memory).
"$CLANG" --target=wasm32 -O2 -msimd128 -mbulk-memory "${WARN[@]}" -isystem host/freestanding-include \
  -nostdlib -Wl,--no-entry -Wl,--strip-all "${CORE[@]}" host/wasm_glue.c -o "$out/tbn.wasm"

# (b) native harnesses. clang's sanitizer runtimes come with libclang-rt-14-dev; without
# them, gcc's (libasan/libubsan) are used.
SAN=(-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all)
SANCC="$CLANG"
if ! echo 'int main(void){return 0;}' | "$CLANG" "${SAN[@]}" -x c - -o "$out/.san-probe" 2>/dev/null; then
  SANCC=gcc
  echo "native-modules/build.sh: clang sanitizer runtime missing (apt-get install libclang-rt-14-dev); using gcc's" >&2
fi
rm -f "$out/.san-probe"
"$SANCC" "${SAN[@]}" "${WARN[@]}" "${CORE[@]}" host/tbn_cli.c -o "$out/tbn_cli_asan"
"$CLANG" -O2 -gdwarf-4 "${WARN[@]}" "${CORE[@]}" host/tbn_cli.c -o "$out/tbn_cli" # DWARF 4: valgrind 3.19 cannot read clang 14 DWARF 5
"$SANCC" "${SAN[@]}" "${WARN[@]}" "${CORE[@]}" host/tbn_selftest.c -o "$out/tbn_selftest"

# (c) fuzz target: libFuzzer, or the deterministic mutation loop when libFuzzer is missing
if ! "$CLANG" -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  "${WARN[@]}" "${CORE[@]}" host/tbn_fuzz.c -o "$out/tbn_fuzz" 2>"$out/fuzz-build.log"; then
  echo "native-modules/build.sh: libFuzzer unavailable (apt-get install libclang-rt-14-dev); building the deterministic mutation loop" >&2
  "$SANCC" "${SAN[@]}" -std=c99 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -ffp-contract=off "${CORE[@]}" \
    host/tbn_fuzz.c host/tbn_fuzz_driver.c -o "$out/tbn_fuzz"
fi

echo "native-modules/build.sh: built tbn.wasm tbn_cli tbn_cli_asan tbn_selftest tbn_fuzz in build/native"
fi

[[ "$mode" == check || "$mode" == targets ]] || exit 0

# (d) warning-free compile per target + forbidden-helper check
objdir="$out/targets"
rm -rf "$objdir"
mkdir -p "$objdir"
status=0
check_target() { # name, compiler, nm, libgcc-or-empty, flags...
  local name=$1 cc=$2 nm=$3 libgcc=$4
  shift 4
  if ! command -v "$cc" >/dev/null; then
    echo "FAIL $name: compiler $cc not installed"
    status=1
    return
  fi
  mkdir -p "$objdir/$name"
  local src obj undefined bad=""
  for src in "${CORE[@]}"; do
    obj="$objdir/$name/$(basename "$src" .c).o"
    if ! "$cc" "$@" "${WARN[@]}" -O2 -c "$src" -o "$obj" 2>"$obj.log"; then
      echo "FAIL $name: $src does not compile warning-free:"
      sed 's/^/    /' "$obj.log"
      status=1
      return
    fi
  done
  local defined
  defined=$("$nm" --defined-only "$objdir/$name"/*.o | awk 'NF>=3{print $NF}' | sort -u)
  undefined=$("$nm" -u "$objdir/$name"/*.o | awk 'NF{print $NF}' | grep -v ':$' | sort -u |
    grep -vxF -f <(echo "$defined"; echo __stack_pointer) | tr '\n' ' ' || true)
  local provided="" softfloat=""
  [[ -n "$libgcc" ]] && provided=$("$nm" "$libgcc" 2>/dev/null | awk '$2=="T"{print $3}')
  for sym in $undefined; do
    case "$sym" in
      memcpy | memset) ;;
      *div* | *mod* | *popcount* | __mul[dt]i3 | __ashl* | __ashr* | __lshr*) bad="$bad $sym" ;;
      __*sf[23] | __float*sf | __fix*sf*)
        # soft-float (float input quantisation only); the firmware's libgcc/ROM provides it
        grep -qxF "$sym" <<<"$provided" || softfloat="$softfloat $sym"
        ;;
      *) grep -qxF "$sym" <<<"$provided" || bad="$bad $sym" ;;
    esac
  done
  if [[ -n "$bad" ]]; then
    echo "FAIL $name: needs forbidden or unavailable helpers:$bad"
    status=1
  else
    echo "OK   $name: undefined symbols: ${undefined:-none}${softfloat:+ (not in this libgcc, needed for float input only:$softfloat)}"
  fi
}
libgcc_of() { command -v "$1" >/dev/null && "$1" "${@:2}" -print-libgcc-file-name || true; }

check_target x86-64-gcc gcc nm ""
check_target x86-64-clang "$CLANG" nm ""
check_target wasm32 "$CLANG" llvm-nm-14 "" --target=wasm32 -msimd128 -isystem host/freestanding-include
check_target cortex-m4 arm-none-eabi-gcc arm-none-eabi-nm \
  "$(libgcc_of arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16)" \
  -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16
check_target rv32imc riscv64-unknown-elf-gcc riscv64-unknown-elf-nm \
  "$(libgcc_of riscv64-unknown-elf-gcc -march=rv32imc -mabi=ilp32)" -march=rv32imc -mabi=ilp32 \
  -ffreestanding -isystem host/freestanding-include
check_target xtensa-lx106 xtensa-lx106-elf-gcc xtensa-lx106-elf-nm \
  "$(libgcc_of xtensa-lx106-elf-gcc -mlongcalls)" -mlongcalls \
  -ffreestanding -isystem host/freestanding-include
check_target xtensa-lx106-int8-only xtensa-lx106-elf-gcc xtensa-lx106-elf-nm \
  "$(libgcc_of xtensa-lx106-elf-gcc -mlongcalls)" -mlongcalls \
  -ffreestanding -isystem host/freestanding-include -DTBN_NO_F32_INPUT
exit $status
