#!/usr/bin/env bash
# The README's test command: installs what the tests need when it is missing, starts the services they use, then
# runs `dotnet test` with any arguments passed through (./test.sh --filter FullyQualifiedName~Store).
#
#   EXPERIMENTS_TEST_NO_INSTALL=1  check only: name what is missing and exit 1 instead of installing it
#   EXPERIMENTS_FASHION_MNIST_DIR  where to look for Fashion-MNIST (for this script's own test; the tests read
#                                  Debian's /usr/share/datasets/fashion-mnist)
#   EXPERIMENTS_TORCH_DIR          where to look for PyTorch's Python package (for this script's own test; the tests
#                                  run /usr/bin/python3, whose Debian package is /usr/lib/python3/dist-packages/torch)
#   EXPERIMENTS_POSTGRESQL_DIR     where to look for PostgreSQL's initdb, DIR/*/bin/initdb (default /usr/lib/postgresql)
#   EXPERIMENTS_TEST_SERVICES      the folder of the service scripts postgres.sh and slurm.sh (default tests/services;
#                                  this script's own test puts stand-ins there)
#   EXPERIMENTS_TEST_POSTGRES      a PostgreSQL server the tests may use (an Npgsql connection string): when set, no
#                                  server is started (then EXPERIMENTS_TEST_POSTGRES_DATA, its data folder, is optional)
#   EXPERIMENTS_TEST_SLURM=1 with SLURM_CONF  a Slurm cluster the tests may use: when set, none is started
#
# Services: a throwaway PostgreSQL cluster (tests/services/postgres.sh) and a single-node Slurm cluster
# (tests/services/slurm.sh) are started in ${TMPDIR:-/tmp}/experiments-test-services.PID before `dotnet test` and
# stopped when it ends; the tests find them through EXPERIMENTS_TEST_POSTGRES, EXPERIMENTS_TEST_POSTGRES_DATA,
# SLURM_CONF and EXPERIMENTS_TEST_SLURM=1 (tests/Shared/PostgresServer.cs, tests/Shared/SlurmCluster.cs).
#
# Only bash builtins before `dotnet test`: the test of this script (tests/Experiments.Build.Tests/TestScriptTests.cs)
# runs it with a PATH of stand-ins for apt-get, sudo and dotnet, and stand-ins for the service scripts.
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
# PostgreSQL: the shared results store (tests/services/postgres.sh starts a throwaway cluster).
postgresql_dir="${EXPERIMENTS_POSTGRESQL_DIR:-/usr/lib/postgresql}"
compgen -G "$postgresql_dir/*/bin/initdb" >/dev/null || missing+=(postgresql)
# Slurm and munge: the job arrays of `submit --slurm` (tests/services/slurm.sh starts a single-node cluster).
{ command -v sbatch && command -v slurmctld && command -v slurmd; } >/dev/null || missing+=(slurm-wlm)
command -v munged >/dev/null || missing+=(munge)

# Installing and the services need root: through sudo unless this runs as root.
as_root=()
if [ "${EUID:-$(id -u)}" -ne 0 ]; then
  as_root=(sudo)
fi

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "${EXPERIMENTS_TEST_NO_INSTALL:-}" = 1 ]; then
    echo "test.sh: missing Debian packages: ${missing[*]} (EXPERIMENTS_TEST_NO_INSTALL=1: not installing them)" >&2
    exit 1
  fi

  if [ "${EUID:-$(id -u)}" -ne 0 ]; then
    if ! command -v sudo >/dev/null; then
      echo "test.sh: the tests need the Debian packages ${missing[*]}; run as root or install sudo, or install them yourself: apt-get install ${missing[*]}" >&2
      exit 1
    fi
  fi

  echo "test.sh: installing ${missing[*]} (what the tests need)"
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine's package lists may be stale or empty: update once and try again.
  "${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}" \
    || { "${as_root[@]}" apt-get update && "${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}"; } \
    || { echo "test.sh: could not install ${missing[*]} with apt-get (see above)" >&2; exit 1; }
fi

# The services the tests use: started here, stopped when `dotnet test` ends (or this script is stopped).
services="${EXPERIMENTS_TEST_SERVICES:-$PWD/tests/services}"
services_dir="${TMPDIR:-/tmp}/experiments-test-services.$$"
started=()
stop_services() {
  local i service
  for (( i = ${#started[@]} - 1; i >= 0; i-- )); do
    service=${started[i]}
    "${as_root[@]}" "$services/$service.sh" stop "$services_dir/$service" \
      || echo "test.sh: could not stop $service (its folder: $services_dir/$service)" >&2
  done
  started=()
}
trap stop_services EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_service NAME WHAT LOG: runs NAME.sh start; a failure ends this script naming the log to read.
start_service() {
  local name=$1 what=$2 log=$3
  started+=("$name")
  "${as_root[@]}" "$services/$name.sh" start "$services_dir/$name" \
    || { echo "test.sh: $what did not start for the tests; read $services_dir/$name/$log" >&2; exit 1; }
}

need_postgres=0 need_slurm=0
[ -n "${EXPERIMENTS_TEST_POSTGRES:-}" ] || need_postgres=1
[ "${EXPERIMENTS_TEST_SLURM:-}" = 1 ] && [ -n "${SLURM_CONF:-}" ] || need_slurm=1
if [ $((need_postgres + need_slurm)) -gt 0 ] && [ "${#as_root[@]}" -gt 0 ] && ! command -v sudo >/dev/null; then
  echo "test.sh: the tests start PostgreSQL and Slurm as root; run as root or install sudo, or name running ones: EXPERIMENTS_TEST_POSTGRES, EXPERIMENTS_TEST_SLURM=1 with SLURM_CONF" >&2
  exit 1
fi

if [ "$need_postgres" = 1 ]; then
  start_service postgres PostgreSQL postgres.log
  read -r EXPERIMENTS_TEST_POSTGRES < "$services_dir/postgres/connection" \
    || { echo "test.sh: PostgreSQL started without writing $services_dir/postgres/connection" >&2; exit 1; }
  export EXPERIMENTS_TEST_POSTGRES
  export EXPERIMENTS_TEST_POSTGRES_DATA="$services_dir/postgres/data"
fi
if [ "$need_slurm" = 1 ]; then
  start_service slurm Slurm "slurmctld.log, slurmd.log and munged.log"
  export SLURM_CONF="$services_dir/slurm/slurm.conf"
  export EXPERIMENTS_TEST_SLURM=1
fi

status=0
dotnet test "$@" || status=$?
exit "$status"
