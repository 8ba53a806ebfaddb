#!/usr/bin/env bash
# Side-by-side comparison of MlNetMlp, scikit-learn and PyTorch on the five benchmark workloads.
#
#   bash benchmarks/compare.sh [--workloads W1,W3] [--threads N] [--blas-dir DIR] [--out DIR]
#
# The C# side prepares every data set once (splits, one-hot encoding, standardization, synthetic data),
# writes it as raw float32 files, and trains MlNetMlp; then compare.py trains scikit-learn and PyTorch on
# the same files with the same settings and prints the table (also saved as DIR/results.md).
# Installs nothing. --blas-dir puts a BLAS library folder first on LD_LIBRARY_PATH for the Python side only
# (for example an OpenBLAS extracted with: apt-get download libopenblas0-pthread && dpkg -x *.deb /tmp/openblas,
# then --blas-dir /tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python=/usr/bin/python3
workloads=""
threads=""
blas_dir=""
out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --workloads) workloads="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --blas-dir) blas_dir="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [[ ! -x "$python" ]] || ! "$python" -c "import sklearn, torch, numpy, threadpoolctl" 2>/dev/null; then
  echo "$python with scikit-learn, PyTorch, numpy and threadpoolctl is needed. On Debian/Ubuntu:" >&2
  echo "  apt-get install python3-sklearn python3-torch python3-threadpoolctl" >&2
  exit 1
fi
if ! command -v dotnet >/dev/null; then
  echo "The .NET SDK (10 or later) is needed: https://dot.net" >&2
  exit 1
fi

out="${out:-$(mktemp -d /tmp/mlnetmlp-compare.XXXXXX)}"
mkdir -p "$out"
echo "Data and results in $out" >&2

dotnet build -c Release --nologo -v quiet "$here/MlNetMlp.Benchmarks/MlNetMlp.Benchmarks.csproj" >&2
args=(compare --out "$out")
[[ -n "$workloads" ]] && args+=(--workloads "$workloads")
[[ -n "$threads" ]] && args+=(--threads "$threads")
dotnet "$here/MlNetMlp.Benchmarks/bin/Release/net10.0/MlNetMlp.Benchmarks.dll" "${args[@]}"

if [[ -n "$blas_dir" ]]; then
  LD_LIBRARY_PATH="$blas_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$python" "$here/compare.py" "$out"
else
  "$python" "$here/compare.py" "$out"
fi
