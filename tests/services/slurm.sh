#!/usr/bin/env bash
# A throwaway single-node Slurm cluster for the tests, without systemd:
#
#   tests/services/slurm.sh start DIR   munged (as the munge user, a key of its own), slurmctld and slurmd (as root)
#                                       with DIR/slurm.conf; waits until the node is idle; prints what it started
#   tests/services/slurm.sh stop DIR    stops the three daemons started in DIR
#
# Everything lives in DIR: slurm.conf and cgroup.conf, munge/ (key, socket, log), state/ and spool/, the daemons'
# logs (slurmctld.log, slurmd.log, munged.log) and pid files. Point clients at it with SLURM_CONF=DIR/slurm.conf
# (slurm.conf names the munge socket, so sbatch, squeue, scontrol and scancel need nothing else).
#
# The node is this host at 127.0.0.1 with CPUs=2, in the partition `debug` (the default). Processes are tracked with
# cgroups (proctrack/cgroup, task/cgroup on the cgroup v1 hierarchy at /sys/fs/cgroup): a cancelled task's children
# die with it. Accounting is off. A task that exits with code 85 (RequeueExit) is requeued.
# The ports are free ones found at start (SlurmctldPort, SlurmdPort), so two clusters can run side by side.
# Needs root (slurmd runs the jobs' steps as their users). Measured here (2 cores): node idle 1.1-1.4 s after start;
# a 4-task array of a trivial script (2 tasks at a time: CPUs=2) then completes in about 5 s, and a requeued task
# starts again after about 6 s
# (AuthInfo cred_expire=5).
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
dir=$2
case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac

requeue_exit=85

# A TCP port nothing listens on at 127.0.0.1 (from a random start, so that clusters started together differ).
free_port() {
  local port=$(( 20000 + RANDOM % 20000 )) tries=0
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || [ "$port" = "${1:-}" ]; do
    port=$(( port + 1 )); tries=$(( tries + 1 ))
    [ $tries -lt 1000 ] || { echo "slurm.sh: found no free port" >&2; exit 1; }
  done
  echo "$port"
}

stop_pid_file() { # stop_pid_file NAME FILE: TERM, then KILL after 10 s
  local name=$1 file=$2 pid
  [ -f "$file" ] || return 0
  read -r pid < "$file" || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    echo "slurm.sh: stopped $name (pid $pid)"
  fi
  rm -f "$file"
}

fail() { # fail MESSAGE LOG
  echo "slurm.sh: $1; read $2" >&2
  if [ -f "$2" ]; then tail -n 20 "$2" | sed 's/^/  | /' >&2; fi
  exit 1
}

case "$action" in
stop)
  stop_pid_file slurmd "$dir/slurmd.pid"
  stop_pid_file slurmctld "$dir/slurmctld.pid"
  stop_pid_file munged "$dir/munge/munged.pid"
  rm -rf "$dir/state" "$dir/spool"
  exit 0
  ;;
start) ;;
*) usage ;;
esac

[ "$(id -u)" -eq 0 ] || { echo "slurm.sh: needs root (slurmd runs jobs as their users); run it with sudo" >&2; exit 1; }
for tool in munged slurmctld slurmd sinfo; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] \
    || { echo "slurm.sh: $tool is not installed (apt-get install slurm-wlm munge)" >&2; exit 1; }
done
PATH="$PATH:/usr/sbin"
started=$(date +%s%N)

mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
chmod 0755 "$dir"
# munged refuses a key or socket folder that others may write to: its own folder, owned by it.
chown munge:munge "$dir/munge"
chmod 0711 "$dir/munge"
if [ ! -f "$dir/munge/munge.key" ]; then
  (umask 077; head -c 1024 /dev/urandom > "$dir/munge/munge.key")
  chown munge:munge "$dir/munge/munge.key"
fi
socket="$dir/munge/munge.socket"
# munged writes only a log file that is its own.
touch "$dir/munged.log"
chown munge:munge "$dir/munged.log"
chmod 0640 "$dir/munged.log"
# --force: the folders above DIR (/tmp) are writable by all, which munged would otherwise refuse.
su -s /bin/sh munge -c "exec munged --force --socket='$socket' --key-file='$dir/munge/munge.key' \
  --pid-file='$dir/munge/munged.pid' --log-file='$dir/munged.log' --seed-file='$dir/munge/munged.seed'" \
  < /dev/null >> "$dir/munged.log" 2>&1 || fail "munged did not start" "$dir/munged.log"
# munge's socket must be usable by everyone who submits.
chmod 0755 "$dir/munge"

host=$(hostname -s)
ctld_port=$(free_port)
slurmd_port=$(free_port "$ctld_port")
cat > "$dir/slurm.conf" <<CONF
# Written by tests/services/slurm.sh: a single-node cluster for the tests.
ClusterName=experiments-tests
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
# cred_expire: a requeued job waits cred_expire + 1 s before it may start again (default 120).
AuthInfo=socket=$socket,cred_expire=5
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/cgroup
TaskPlugin=task/cgroup
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
# A finished job stays visible to scontrol for 5 minutes (there is no accounting to ask afterwards).
MinJobAge=300
# An exit code that requeues the task (a worker asking to go on later).
RequeueExit=$requeue_exit
JobRequeue=1
KillWait=5
SlurmctldTimeout=30
SlurmdTimeout=30
MpiDefault=none
NodeName=$host NodeAddr=127.0.0.1 NodeHostname=$host CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
cat > "$dir/cgroup.conf" <<CONF
# Written by tests/services/slurm.sh: the cgroup v1 hierarchy mounted at /sys/fs/cgroup.
CgroupPlugin=cgroup/v1
CgroupMountpoint=/sys/fs/cgroup
ConstrainCores=no
ConstrainRAMSpace=no
ConstrainDevices=no
CONF
export SLURM_CONF="$dir/slurm.conf"

# -c: a fresh cluster, whatever state/ holds from an earlier start.
slurmctld -c -f "$SLURM_CONF" < /dev/null >> "$dir/slurmctld.log" 2>&1 || fail "slurmctld did not start" "$dir/slurmctld.log"
slurmd -f "$SLURM_CONF" < /dev/null >> "$dir/slurmd.log" 2>&1 || fail "slurmd did not start" "$dir/slurmd.log"

# Wait until the node takes jobs (idle), up to 60 s.
state=
for _ in $(seq 600); do
  state=$(sinfo -h -N -n "$host" -o '%T' 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.1
done
[ "$state" = idle ] || fail "the node $host did not become idle within 60 s (state: ${state:-none})" "$dir/slurmd.log"

elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
printf 'slurm.sh: started munged, slurmctld (port %s) and slurmd (port %s) in %s; node %s idle after %d.%03d s; SLURM_CONF=%s\n' \
  "$ctld_port" "$slurmd_port" "$dir" "$host" $((elapsed_ms / 1000)) $((elapsed_ms % 1000)) "$SLURM_CONF"
