"""A real single-node Slurm (Debian's slurm-wlm and munge), started for a test and stopped after.

One controller and one node on this host, configured in a private folder: no cgroups, root as the
Slurm user. Needs root and the binaries; :func:`slurm_unavailable` says why not when it cannot run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo")


def slurm_unavailable() -> str | None:
    """Why a local Slurm cannot be started here, or ``None`` when it can."""
    missing = [b for b in BINARIES if shutil.which(b) is None]
    if missing:
        return f"missing {', '.join(missing)}: apt-get install slurm-wlm munge"
    if os.geteuid() != 0:
        return "starting slurmd needs root"
    return None


@dataclass
class LocalSlurm:
    folder: Path
    pids: list[int] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {"SLURM_CONF": str(self.folder / "slurm.conf")}

    def stop(self) -> None:
        for pid in reversed(self.pids):
            try:
                os.kill(pid, 15)
            except ProcessLookupError:
                continue
        time.sleep(0.5)


def start_local_slurm(folder: Path) -> LocalSlurm:
    """Start munged, slurmctld and slurmd configured under ``folder``; wait until the node is idle.

    Raises:
        RuntimeError: with the daemons' own words when they do not come up.
    """
    folder.mkdir(parents=True, exist_ok=True)
    slurm = LocalSlurm(folder)
    _start_munge(folder, slurm)
    conf = _write_conf(folder)
    os.environ["SLURM_CONF"] = str(conf)
    for daemon in (["slurmctld", "-f", str(conf)], ["slurmd", "-f", str(conf)]):
        subprocess.run(daemon, check=True, env={**os.environ, "SLURM_CONF": str(conf)})
    slurm.pids += [_pid(folder / "slurmctld.pid"), _pid(folder / "slurmd.pid")]
    deadline = time.time() + 30
    while time.time() < deadline:
        state = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, env=os.environ).stdout
        if "idle" in state:
            return slurm
        time.sleep(0.5)
    slurm.stop()
    logs = "\n".join(p.read_text()[-800:] for p in folder.glob("*.log"))
    raise RuntimeError(f"the Slurm node did not become idle in 30 s; logs:\n{logs}")


def _start_munge(folder: Path, slurm: LocalSlurm) -> None:
    munge = folder / "munge"
    munge.mkdir(exist_ok=True)
    key = munge / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    socket_path = munge / "munge.socket"
    subprocess.run(
        ["munged", "--force", f"--key-file={key}", f"--socket={socket_path}", f"--pid-file={munge / 'munged.pid'}",
         f"--log-file={munge / 'munged.log'}", f"--seed-file={munge / 'seed'}"],
        check=True,
    )  # fmt: skip
    slurm.pids.append(_pid(munge / "munged.pid"))
    os.environ["MUNGE_SOCKET"] = str(socket_path)
    slurm.folder = folder
    (folder / "munge_socket").write_text(str(socket_path))


def _write_conf(folder: Path) -> Path:
    host = socket.gethostname()
    socket_path = (folder / "munge_socket").read_text()
    conf = folder / "slurm.conf"
    conf.write_text(
        "\n".join(
            [
                "ClusterName=babelforge-test",
                f"SlurmctldHost={host}",
                "SlurmUser=root",
                "SlurmdUser=root",
                "AuthType=auth/munge",
                f"AuthInfo=socket={socket_path}",
                f"StateSaveLocation={folder / 'state'}",
                f"SlurmdSpoolDir={folder / 'spool'}",
                f"SlurmctldPidFile={folder / 'slurmctld.pid'}",
                f"SlurmdPidFile={folder / 'slurmd.pid'}",
                f"SlurmctldLogFile={folder / 'slurmctld.log'}",
                f"SlurmdLogFile={folder / 'slurmd.log'}",
                "SlurmctldPort=16817",
                "SlurmdPort=16818",
                "ProctrackType=proctrack/linuxproc",
                "TaskPlugin=task/none",
                "SelectType=select/cons_tres",
                "SelectTypeParameters=CR_Core",
                "ReturnToService=2",
                "JobAcctGatherType=jobacct_gather/none",
                "MpiDefault=none",
                f"NodeName={host} CPUs={os.cpu_count()} RealMemory=8000 State=UNKNOWN",
                f"PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP",
                "",
            ]
        )
    )
    for sub in ("state", "spool"):
        (folder / sub).mkdir(exist_ok=True)
    return conf


def _pid(path: Path, wait_s: float = 10) -> int:
    deadline = time.time() + wait_s
    while time.time() < deadline:
        if path.exists() and path.read_text().strip():
            return int(path.read_text().strip())
        time.sleep(0.1)
    raise RuntimeError(f"no pid file at {path}")
