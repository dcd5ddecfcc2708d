#!/bin/sh
# Builds Jemma's optional native kernels into OUT_DIR/libjemma_kernels.so with the machine's C compiler ($CC, else
# cc), when there is one: called by the Maven build (jemma-core's pom). Without a compiler, or on another platform,
# it says so and succeeds; Jemma then runs its Java kernels. The library is written atomically.
# Usage: build.sh OUT_DIR [skip]
set -u
here=$(cd "$(dirname "$0")" && pwd)
out=$1
lib="$out/libjemma_kernels.so"
if [ "${2:-}" = true ]; then
  echo "jemma native kernels: skipped (jemma.native.skip)" >&2
  rm -f "$lib"
  exit 0
fi
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "jemma native kernels: not built (Linux x86-64 only); the Java kernels run" >&2; exit 0 ;;
esac
cc=${CC:-cc}
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "jemma native kernels: no C compiler ($cc); the Java kernels run" >&2
  rm -f "$lib"
  exit 0
fi
# up to date: nothing to do
if [ -f "$lib" ] && [ -z "$(find "$here" -newer "$lib" -type f -print | head -n 1)" ]; then exit 0; fi
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
common="-O3 -fPIC -ffp-contract=off -fno-strict-aliasing -Wall"
if "$cc" $common -c "$here/jemma_features.c" -o "$tmp/features.o" &&
   "$cc" $common -mavx2 -mfma -mf16c -c "$here/jemma_kernels.c" -o "$tmp/avx2.o" &&
   "$cc" $common -mavx2 -mfma -mf16c -mavx512f -mavx512vl -mavx512bw -mavx512vnni -DJK_VNNI -DJK_PREFIX=jk_vnni_ \
         -c "$here/jemma_kernels.c" -o "$tmp/vnni.o" &&
   "$cc" -shared -o "$tmp/libjemma_kernels.so" "$tmp/features.o" "$tmp/avx2.o" "$tmp/vnni.o"; then
  mv -f "$tmp/libjemma_kernels.so" "$lib.tmp" && mv -f "$lib.tmp" "$lib"
  echo "jemma native kernels: built $lib" >&2
else
  echo "jemma native kernels: compiling failed; the Java kernels run" >&2
  rm -f "$lib"
fi
exit 0
