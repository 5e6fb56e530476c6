#!/usr/bin/env bash
# The README's test command: installs what the tests need when it is missing, starts the services they use, then
# runs `dotnet test` with any arguments passed through (./test.sh --filter FullyQualifiedName~Store).
#
#   EXPERIMENTS_TEST_NO_INSTALL=1  check only: name what is missing and exit 1 instead of installing it
#   EXPERIMENTS_FASHION_MNIST_DIR  where to look for Fashion-MNIST (for this script's own test; the tests read
#                                  Debian's /usr/share/datasets/fashion-mnist)
#   EXPERIMENTS_TORCH_DIR          where to look for PyTorch's Python package (for this script's own test; the tests
#                                  run /usr/bin/python3, whose Debian package is /usr/lib/python3/dist-packages/torch)
#
# Only bash builtins before `dotnet test`: the test of this script (tests/Experiments.Build.Tests/TestScriptTests.cs)
# runs it with a PATH of stand-ins for apt-get, sudo and dotnet.
set -euo pipefail
here="${BASH_SOURCE[0]%/*}"
[ "$here" = "${BASH_SOURCE[0]}" ] && here=.
cd "$here"

# What the tests need from Debian: a package, and how to tell it is there.
fashion_mnist_dir="${EXPERIMENTS_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
torch_dir="${EXPERIMENTS_TORCH_DIR:-/usr/lib/python3/dist-packages/torch}"
missing=()
# Fashion-MNIST: the second dataset (tests/Experiments.Core.Tests/Training/FashionMnistTests.cs).
[ -f "$fashion_mnist_dir/train-images-idx3-ubyte.gz" ] || missing+=(dataset-fashion-mnist)
# readelf: the independent oracle of the ELF patch tests in tests/Experiments.Build.Tests.
command -v readelf >/dev/null || missing+=(binutils)
# Chromium renders the HTML report (tests/Experiments.Runner.Tests/ReportInBrowserTests.cs).
command -v chromium >/dev/null || command -v chromium-browser >/dev/null || missing+=(chromium)
# PyTorch loads a checkpoint with the README's Python (tests/Experiments.Runner.Tests/PyTorchCheckpointTests.cs).
[ -f "$torch_dir/__init__.py" ] || missing+=(python3-torch)

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "${EXPERIMENTS_TEST_NO_INSTALL:-}" = 1 ]; then
    echo "test.sh: missing Debian packages: ${missing[*]} (EXPERIMENTS_TEST_NO_INSTALL=1: not installing them)" >&2
    exit 1
  fi

  as_root=()
  if [ "${EUID:-$(id -u)}" -ne 0 ]; then
    if ! command -v sudo >/dev/null; then
      echo "test.sh: the tests need the Debian packages ${missing[*]}; run as root or install sudo, or install them yourself: apt-get install ${missing[*]}" >&2
      exit 1
    fi
    as_root=(sudo)
  fi

  echo "test.sh: installing ${missing[*]} (what the tests need)"
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine's package lists may be stale or empty: update once and try again.
  "${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}" \
    || { "${as_root[@]}" apt-get update && "${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}"; } \
    || { echo "test.sh: could not install ${missing[*]} with apt-get (see above)" >&2; exit 1; }
fi

# Services the tests use are started here (none yet).

exec dotnet test "$@"
