#!/usr/bin/env bash
# A one-node SLURM cluster with accounting on this machine, from Debian packages, for the cluster
# test (tests/cluster/run_slurm_test.py). Daemons are started by hand (no systemd): munged,
# mariadbd (private data directory, TCP on 127.0.0.1 only), slurmdbd, slurmctld, slurmd. All
# state, configuration and logs live in one directory; clients find the configuration through
# SLURM_CONF=<dir>/etc/slurm.conf.
#
#   slurm_cluster.sh install        apt-get the packages (root; exit 3 when they cannot be had)
#   slurm_cluster.sh start <dir>    write the configuration, start the daemons, create the
#                                   account "servqual" with user $USER, wait for the node
#   slurm_cluster.sh stop <dir>     stop every daemon this script started in <dir>
#
# Ports: slurmctld 6817, slurmd 6818, slurmdbd 6819, mariadb 3317 (all on 127.0.0.1).
set -euo pipefail

PACKAGES=(slurm-wlm slurmdbd munge mariadb-server mariadb-client)
CLUSTER=servqual
ACCOUNT=servqual
PARTITION=main
DB_PORT=3317

log() { printf '[slurm_cluster] %s\n' "$*" >&2; }

install_packages() {
    missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        log "packages already installed"
        return 0
    fi
    export DEBIAN_FRONTEND=noninteractive
    # Keep package scripts from starting services: this script starts the daemons itself.
    policy=/usr/sbin/policy-rc.d
    made_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && made_policy=1
    fi
    status=0
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
        >&2 || status=$?
    [ "$made_policy" = 1 ] && rm -f "$policy"
    if [ "$status" != 0 ]; then
        log "apt-get could not install: ${missing[*]}"
        exit 3
    fi
}

wait_for() {  # wait_for <seconds> <what> <command...>
    local limit=$1 what=$2
    shift 2
    local end=$((SECONDS + limit))
    while [ "$SECONDS" -lt "$end" ]; do
        if timeout 10 "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.5
    done
    log "timed out waiting for $what"
    return 1
}

start_cluster() {
    local dir=$1
    [ -n "$dir" ] || { log "usage: $0 start <dir>"; exit 2; }
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    chmod 755 "$dir"
    mkdir -p "$dir"/{etc,log,ctld,slurmd,munge}
    chown munge: "$dir/munge"
    local host user
    host=$(hostname -s)
    user=$(id -un)

    # munge on its default socket (every SLURM component and client looks there), run as the
    # munge user (the key's owner); a munged already answering there is used as it is.
    if ! munge -n >/dev/null 2>&1; then
        if [ ! -s /etc/munge/munge.key ]; then
            mungekey --create --keyfile=/etc/munge/munge.key
            chown munge: /etc/munge/munge.key && chmod 600 /etc/munge/munge.key
        fi
        mkdir -p /run/munge && chown munge: /run/munge && chmod 755 /run/munge
        runuser -u munge -- /usr/sbin/munged --pid-file="$dir/munge/munged.pid" \
            --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"
        wait_for 10 munged munge -n
    fi

    # MariaDB: private data directory, TCP on 127.0.0.1 only.
    mkdir -p "$dir/db" && chown mysql: "$dir/db"
    mariadb-install-db --user=mysql --datadir="$dir/db/data" \
        --auth-root-authentication-method=socket --skip-test-db >"$dir/log/mariadb-install.log" 2>&1
    runuser -u mysql -- /usr/sbin/mariadbd --no-defaults --datadir="$dir/db/data" \
        --socket="$dir/db/mysqld.sock" --pid-file="$dir/db/mariadbd.pid" \
        --port="$DB_PORT" --bind-address=127.0.0.1 --log-error="$dir/log/mariadb.log" \
        --innodb-buffer-pool-size=64M >/dev/null 2>&1 &
    wait_for 60 mariadbd mariadb --socket="$dir/db/mysqld.sock" -e "select 1"
    mariadb --socket="$dir/db/mysqld.sock" -e "
        CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY 'slurm-test';
        GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';"

    cat >"$dir/etc/slurmdbd.conf" <<EOF
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=6819
SlurmUser=root
LogFile=$dir/log/slurmdbd.log
PidFile=$dir/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=slurm-test
StorageLoc=slurm_acct_db
EOF
    chmod 600 "$dir/etc/slurmdbd.conf"

    # Node line as slurmd detects it (sockets, cores, memory), addressed on the loopback.
    local node
    node=$(slurmd -C | head -1 | sed -e "s/^NodeName=[^ ]*/NodeName=$host NodeAddr=127.0.0.1/")
    cat >"$dir/etc/slurm.conf" <<EOF
ClusterName=$CLUSTER
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/slurmd
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=5
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=6819
AccountingStorageEnforce=associations
AccountingStoreFlags=job_comment
JobCompType=jobcomp/none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
MinJobAge=300
KillWait=5
$node State=UNKNOWN
PartitionName=$PARTITION Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
    export SLURM_CONF=$dir/etc/slurm.conf
    # Job steps (srun inside the batch jobs) do not see SLURM_CONF: they read the default
    # /etc/slurm/slurm.conf, so it points at this configuration while the cluster runs (a file
    # there already is kept aside and put back by `stop`).
    if [ -e /etc/slurm/slurm.conf ] && [ ! -L /etc/slurm/slurm.conf ]; then
        mv /etc/slurm/slurm.conf "$dir/etc/slurm.conf.system"
    fi
    mkdir -p /etc/slurm
    ln -sfn "$SLURM_CONF" /etc/slurm/slurm.conf

    slurmdbd
    wait_for 30 slurmdbd sacctmgr -n list cluster
    sacctmgr -i add cluster "$CLUSTER" >/dev/null
    sacctmgr -i add account "$ACCOUNT" cluster="$CLUSTER" description="servqual tests" \
        organization=servqual >/dev/null
    sacctmgr -i add user "$user" account="$ACCOUNT" defaultaccount="$ACCOUNT" \
        cluster="$CLUSTER" >/dev/null

    slurmctld -c
    wait_for 30 slurmctld scontrol ping
    slurmd
    wait_for 60 "the node to be idle" sh -c "sinfo -h -o %T | grep -qx idle"
    log "cluster $CLUSTER up: partition $PARTITION, account $ACCOUNT, SLURM_CONF=$SLURM_CONF"
}

stop_pid() {  # stop_pid <pidfile> <name>
    local file=$1 name=$2 pid
    [ -s "$file" ] || return 0
    pid=$(cat "$file")
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 80); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.25
    done
    log "$name ($pid) did not stop; killing it"
    kill -9 "$pid" 2>/dev/null || true
}

stop_cluster() {
    local dir=$1
    [ -d "$dir" ] || return 0
    dir=$(cd "$dir" && pwd)
    export SLURM_CONF=$dir/etc/slurm.conf
    # Jobs first, then the daemons in the reverse order of starting.
    if [ -s "$dir/slurmctld.pid" ] && [ -f "$SLURM_CONF" ]; then
        scancel --user="$(id -un)" 2>/dev/null || true
    fi
    stop_pid "$dir/slurmd.pid" slurmd
    stop_pid "$dir/slurmctld.pid" slurmctld
    stop_pid "$dir/slurmdbd.pid" slurmdbd
    stop_pid "$dir/db/mariadbd.pid" mariadbd
    stop_pid "$dir/munge/munged.pid" munged
    if [ "$(readlink /etc/slurm/slurm.conf 2>/dev/null)" = "$SLURM_CONF" ]; then
        rm -f /etc/slurm/slurm.conf
    fi
    if [ -e "$dir/etc/slurm.conf.system" ]; then
        mv "$dir/etc/slurm.conf.system" /etc/slurm/slurm.conf
    fi
    log "cluster in $dir stopped"
}

case "${1:-}" in
install) install_packages ;;
start) start_cluster "${2:-}" ;;
stop) stop_cluster "${2:-}" ;;
*)
    echo "usage: $0 install | start <dir> | stop <dir>" >&2
    exit 2
    ;;
esac
