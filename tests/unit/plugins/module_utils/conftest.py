# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the target-side tests: running code in a forked child (as another user, or with a time limit)."""

import os
import pickle
import shutil
import signal
import tempfile
import time

import pytest


def run_in_child(fn, uid=None, gid=None, timeout=5.0):
    """Run ``fn()`` in a forked child, optionally with effective uid/gid set, and return its outcome.

    Returns ('ok', value), ('error', exception class name, message) or ('timeout',) when the child did not finish
    within ``timeout`` seconds (it is then killed). ``value`` must be picklable and small.
    """
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        payload = None
        try:
            os.close(r)
            if gid is not None:
                os.setegid(gid)
            if uid is not None:
                os.seteuid(uid)
            payload = pickle.dumps(('ok', fn()))
        except BaseException as e:  # report anything, never return into pytest
            try:
                payload = pickle.dumps(('error', type(e).__name__, str(e)))
            except BaseException:
                payload = pickle.dumps(('error', 'Unpicklable', repr(e)))
        finally:
            try:
                os.write(w, payload or b'')
            finally:
                os._exit(0)
    os.close(w)
    deadline = time.monotonic() + timeout
    try:
        while True:
            done, _status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return ('timeout',)
            time.sleep(0.005)
        chunks = []
        while True:
            chunk = os.read(r, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(r)
    data = b''.join(chunks)
    return pickle.loads(data) if data else ('error', 'NoResult', 'the child reported nothing')


@pytest.fixture
def child():
    """The run_in_child function, as a fixture."""
    return run_in_child


@pytest.fixture
def shared_tmp():
    """A fresh folder every user can traverse (tmp_path's parents are root-only), removed afterwards."""
    path = tempfile.mkdtemp(prefix='fleetcfg-shared-', dir='/tmp')
    os.chmod(path, 0o755)
    yield os.path.realpath(path)
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def umask():
    """Call umask(0o077) to set the process umask for one test; the old one is restored afterwards."""
    old = os.umask(0o022)
    os.umask(old)
    yield os.umask
    os.umask(old)
