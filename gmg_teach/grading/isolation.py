"""Where a submission's kernel runs: a bubblewrap sandbox with limits, and a tripwire on the environment.

On Linux with ``bwrap`` (Debian package ``bubblewrap``), each kernel is started as::

    bwrap <namespaces> <read-only system and environment> <private folder> -- \
        prlimit --as=<memory> --nproc=<processes> --fsize=<file size> -- \
        [setpriv --reuid=<a uid claimed for this grader process> ...] python -m ipykernel_launcher -f <connection file>

- It sees a read-only ``/usr``, ``/etc``, ``/bin``, ``/lib*``, the Python installation, the environment
  (``sys.prefix``), the installed ``gmg_teach`` package and ``PYTHONPATH`` folders; a private working folder and
  ``/tmp``, each a tmpfs of ``Limits.folder_bytes`` (filling them harms no neighbour), with the kernel's connection
  file and sockets in ``.kernel``; a fresh ``/proc`` and ``/dev``. Nothing else: no class folder, no
  ``solutions/``, no expected values, no gradebook, no home folder.
- New PID, network, IPC and UTS namespaces: no other process is visible, there is no network at all. The kernel
  protocol runs over ZeroMQ ``ipc`` sockets (files in the private folder), which need no network.
- ``prlimit`` caps the address space (a 10 TB allocation fails with ``MemoryError``), the number of processes and
  the size of a written file. As root, the kernels of each grading process run under a user id that process has
  claimed for itself (a lock file per uid, so two grader runs on one machine never share one; ``setpriv``): the
  process limit counts that kernel's processes only (root ignores ``RLIMIT_NPROC``), so a fork bomb stops there,
  and ending the sandbox can end every process of that uid.
- ``--die-with-parent`` and the PID namespace end every process of the sandbox with the kernel.

Where ``bwrap`` is missing or unusable (macOS, Windows, a container without namespaces), :func:`sandbox_mode`
says so in one line and kernels run as before: in an empty temporary folder, with the grader's permissions.

``Fingerprint`` is the tripwire: size, modification and change times of every file of the package and the
environment (and the instructor's files), taken before and after each submission. The sandbox makes them
read-only, so a difference means the isolation failed: the grader stops and names the files.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import zmq
from jupyter_client import AsyncKernelManager
from jupyter_core.utils import run_sync
from traitlets import Integer, List, Unicode

FIRST_UID = 61000  # as root, each grading process claims a free uid from here on for its kernels
UID_LOCKS = Path(tempfile.gettempdir()) / "gmg-teach-uids"
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc")
MAX_MESSAGE = 2 * 1024**2  # bytes: a larger message from a kernel is dropped by ZeroMQ (the connection resets)
MAX_QUEUED = 32  # messages a socket of the grader holds unread at most; the kernel's side drops the rest
PASSED_ENV = ("GMG_TEACH_FAST", "LANG", "LC_ALL", "TZ")


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 4 * 1024**3
    processes: int = 256
    file_bytes: int = 256 * 1024**2
    folder_bytes: int = 256 * 1024**2  # the private working folder and /tmp: each a tmpfs of this size


@lru_cache(maxsize=None)
def sandbox_mode() -> str | None:
    """None if bubblewrap works here, else the one-line reason why submissions run without a sandbox."""
    if sys.platform != "linux":
        return f"no sandbox on {sys.platform} (bubblewrap is Linux only): submissions run with your permissions"
    if not shutil.which("bwrap") or not shutil.which("prlimit"):
        return ("no sandbox: bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap): submissions "
                "run with your permissions")
    probe = subprocess.run(["bwrap", *_namespaces(), "--ro-bind", "/", "/", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"no sandbox: bubblewrap cannot start here ({probe.stderr.strip()[:120]}): submissions run with your " \
               "permissions"
    return None


def _namespaces() -> list[str]:
    user = [] if os.geteuid() == 0 else ["--unshare-user"]
    return ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", *user, "--die-with-parent"]


def package_dir() -> Path:
    return Path(__file__).resolve().parents[1]


def readable_roots() -> list[Path]:
    """What a kernel may read: the Python installation, the environment, the package, PYTHONPATH folders."""
    roots = [Path(sys.base_prefix), Path(sys.prefix), Path(sys.executable).resolve().parent, package_dir()]
    roots += [Path(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    out: list[Path] = []
    for root in sorted({r.resolve() for r in roots if r.exists()}, key=lambda p: len(p.parts)):
        if not any(root == kept or kept in root.parents for kept in out):
            out.append(root)
    return out


def _parents_0755(path: Path, made: set) -> list[str]:
    """bwrap creates missing mount points 0700; make each parent folder of ``path`` traversable instead."""
    args = []
    for parent in reversed(path.parents):
        if str(parent) != "/" and str(parent) not in made:
            made.add(str(parent))
            args += ["--perms", "0755", "--dir", str(parent)]
    return args


class CappedKernelManager(AsyncKernelManager):
    """nbclient's (async) kernel manager whose clients drop any message larger than ``MAX_MESSAGE`` and queue at
    most ``MAX_QUEUED`` messages per socket: whatever a kernel sends, it costs the grader at most a few tens of MB."""

    def client(self, **kwargs):
        kc = super().client(**kwargs)
        kc.context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE)  # default for the sockets start_channels() creates
        kc.context.setsockopt(zmq.RCVHWM, MAX_QUEUED)
        return kc


class SandboxedKernelManager(CappedKernelManager):
    """nbclient's (async) kernel manager; its kernel command runs inside ``sandbox_prefix`` (bwrap, prlimit,
    setpriv)."""

    sandbox_prefix = List(Unicode())
    sandbox_uid = Integer(-1)

    def format_kernel_cmd(self, extra_arguments=None):
        return [*self.sandbox_prefix, *super().format_kernel_cmd(extra_arguments)]

    def write_connection_file(self, **kwargs):
        """The file is written 0600 by the grader; the kernel's own user must be able to read it."""
        super().write_connection_file(**kwargs)
        if self.sandbox_uid >= 0:
            os.chown(self.connection_file, self.sandbox_uid, self.sandbox_uid)


class Sandbox:
    """A private folder for one submission, and kernel managers that start sandboxed kernels in it."""

    def __init__(self, folder: Path, limits: Limits):
        self.folder = Path(folder)
        self.limits = limits
        self.uid = claim_uid() if os.geteuid() == 0 and not sandbox_mode() else None
        (self.folder / ".kernel").mkdir(parents=True, exist_ok=True)
        if self.uid is not None:
            for path in [self.folder, *self.folder.rglob("*")]:
                os.chown(path, self.uid, self.uid)
        self.reason_unsandboxed = sandbox_mode()
        self.started = 0

    def env(self) -> dict[str, str]:
        env = {"HOME": str(self.folder), "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "MPLBACKEND": "Agg",
               "MPLCONFIGDIR": str(self.folder / ".config" / "matplotlib"), "PYTHONDONTWRITEBYTECODE": "1",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "IPYTHONDIR": str(self.folder / ".ipython"), "JUPYTER_PLATFORM_DIRS": "1"}
        env.update({k: os.environ[k] for k in (*PASSED_ENV, "PYTHONPATH") if k in os.environ})
        return env

    def prefix(self) -> list[str]:
        made: set = set()
        args = ["bwrap", *_namespaces()]
        for system in SYSTEM_DIRS:
            if os.path.exists(system):
                args += ["--ro-bind", system, system]
        size = ["--size", str(self.limits.folder_bytes), "--perms", "1777", "--tmpfs"]
        args += ["--proc", "/proc", "--dev", "/dev", *size, "/tmp"]
        for root in readable_roots():
            args += _parents_0755(root, made) + ["--ro-bind", str(root), str(root)]
        kernel = self.folder / ".kernel"  # connection file and sockets: the only folder shared with the grader
        args += _parents_0755(self.folder, made) + [*size, str(self.folder), "--bind", str(kernel), str(kernel)]
        args += ["--chdir", str(self.folder), "--clearenv"]
        for key, value in self.env().items():
            args += ["--setenv", key, value]
        if self.uid is not None:
            args += ["--cap-add", "CAP_SETUID,CAP_SETGID"]
        args += ["--", "prlimit", f"--as={self.limits.memory_bytes}", f"--nproc={self.limits.processes}",
                 f"--fsize={self.limits.file_bytes}", "--"]
        if self.uid is not None:
            args += ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups", "--inh-caps=-all",
                     "--"]
        return args

    def kernel_manager(self) -> AsyncKernelManager:
        """A fresh manager for one kernel (a restart after a timeout gets a new one, same folder)."""
        self.started += 1  # each kernel its own connection file and sockets: a lingering client hears nothing new
        connection = self.folder / ".kernel" / f"kernel-{self.started}.json"
        if self.reason_unsandboxed:
            return CappedKernelManager(kernel_name="python3", connection_file=str(connection))
        sockets = self.folder / ".kernel" / f"ipc-{self.started}"
        km = SandboxedKernelManager(kernel_name="python3", transport="ipc", ip=str(sockets),
                                    connection_file=str(connection))
        km.sandbox_prefix = self.prefix()
        km.sandbox_uid = -1 if self.uid is None else self.uid
        return km

    def stop(self, km: AsyncKernelManager) -> None:
        """End the kernel and every process of its sandbox (a fork bomb's too)."""
        try:
            if km.has_kernel:
                run_sync(km.shutdown_kernel)(now=True)
        except Exception:  # already gone
            pass
        if self.uid is not None:  # every process of the claimed uid belongs to this sandbox
            kill_uid(self.uid)

    def launch_env(self) -> dict[str, str]:
        """The environment of the launched command (bwrap clears it again inside)."""
        return {**os.environ, **self.env()} if self.reason_unsandboxed else self.env()


_claimed: dict[int, tuple[int, object]] = {}  # grading process id -> (uid, its locked file)


def claim_uid() -> int:
    """A uid no other grading process uses (held until this process ends), with no process left running."""
    if os.getpid() in _claimed:
        return _claimed[os.getpid()][0]
    UID_LOCKS.mkdir(mode=0o700, exist_ok=True)
    for uid in range(FIRST_UID, FIRST_UID + 4096):
        lock = open(UID_LOCKS / str(uid), "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        _claimed[os.getpid()] = (uid, lock)
        kill_uid(uid)  # leftovers of a grader that crashed
        return uid
    raise RuntimeError("no free user id for a sandbox (4096 grading processes at once?)")


def kill_uid(uid: int) -> None:
    for _ in range(5):
        pids = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _owner(p) == uid]
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, 9)
            except OSError:
                pass


def _owner(proc: Path) -> int | None:
    try:
        return proc.stat().st_uid
    except OSError:
        return None


# ---------------------------------------------------------------------------------------------------------------
# The tripwire
# ---------------------------------------------------------------------------------------------------------------
def fingerprint(paths: list[Path]) -> dict[str, tuple]:
    """(size, mtime, ctime, mode) of every file and folder under ``paths`` (symbolic links not followed)."""
    seen: dict[str, tuple] = {}
    for top in paths:
        top = Path(top)
        if top.is_file() or top.is_symlink():
            _stat_into(seen, str(top))
            continue
        for folder, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if d != "__pycache__"]  # the grader's own imports write bytecode there
            _stat_into(seen, folder)
            for name in files:
                if not name.endswith(".pyc"):
                    _stat_into(seen, os.path.join(folder, name))
    return seen


def _stat_into(seen: dict, path: str) -> None:
    try:
        st = os.lstat(path)
    except OSError:
        return
    seen[path] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_mode)


def changed_files(before: dict[str, tuple], after: dict[str, tuple]) -> list[str]:
    """Files added, removed or changed between two fingerprints."""
    return sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))


def environment_paths() -> list[Path]:
    return readable_roots()
