#!/usr/bin/env bash
# Runs the benchmark suite on a machine with a real GPU through Vulkan (Dawn), from a bundle made on a dev
# machine, for GPU machines with no network and no Node (see benchmarks/gpu.md).
#
#   benchmarks/run-on-gpu.sh pack [--with-ort]       here: build, bundle Node + built packages + peers, and the
#                                                    Vulkan loader .deb, into benchmarks/.gpu-bundle/ (git-ignored)
#   benchmarks/run-on-gpu.sh run [run.mjs args...]   there, in a copy of the repository with benchmarks/.gpu-bundle/:
#                                                    unpack, make Vulkan findable, run; results to $OUT/gpu.json
#                                                    (or benchmarks/results/gpu.json when $OUT is unset)
#   benchmarks/run-on-gpu.sh import <gpu.json> [name]  here: merge into benchmarks/results/<name>.json (default
#                                                    gpu) and regenerate benchmarks/README.md
set -euo pipefail
cd "$(dirname "$0")/.."
BUNDLE=benchmarks/.gpu-bundle

case "${1:-}" in
  pack)
    shift
    node scripts/bootstrap.mjs --build
    mkdir -p "$BUNDLE"
    node benchmarks/gpu/pack.mjs "$BUNDLE/bundle.tar.xz" "$@"
    # Vulkan loader (libvulkan1, amd64) for GPU machines that have the NVIDIA driver and its ICD but no loader.
    if ! ls "$BUNDLE"/libvulkan1_*.deb >/dev/null 2>&1; then
      (cd "$BUNDLE" && apt-get -qq -oAPT::Architecture=amd64 download libvulkan1) ||
        echo "run-on-gpu: could not download libvulkan1; the GPU machine must then have a Vulkan loader" >&2
    fi
    du -sh "$BUNDLE"
    ;;
  run)
    shift
    [ -f "$BUNDLE/bundle.tar.xz" ] || { echo "run-on-gpu: $BUNDLE/bundle.tar.xz missing (run 'pack' on a dev machine, carry $BUNDLE)" >&2; exit 2; }
    tar -xJf "$BUNDLE/bundle.tar.xz" # -> $BUNDLE/node/node and benchmarks/node_modules (real files)
    if ! ldconfig -p 2>/dev/null | grep libvulkan.so.1 >/dev/null; then
      for f in "$BUNDLE"/*.deb; do dpkg -x "$f" /; done
      ldconfig
    fi
    # NVIDIA containers often keep the driver's ICD outside the loader's default search path.
    if [ -z "${VK_DRIVER_FILES:-}" ]; then
      for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
        if [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd"; break; fi
      done
    fi
    export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
    out="${OUT:-benchmarks/results}"
    mkdir -p "$out"
    command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
    echo "run-on-gpu: VK_DRIVER_FILES=${VK_DRIVER_FILES:-<loader default>}"
    "$BUNDLE/node/node" benchmarks/run.mjs --out "$out/gpu.json" "$@"
    ;;
  import)
    [ $# -ge 2 ] || { echo "usage: $0 import <gpu.json> [name]" >&2; exit 2; }
    node benchmarks/run.mjs --import "$2" --as "${3:-gpu}"
    ;;
  *)
    sed -n '2,14p' "$0"
    exit 2
    ;;
esac
