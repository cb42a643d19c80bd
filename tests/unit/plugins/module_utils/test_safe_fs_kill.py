# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""atomic_write under SIGKILL: the settings file is always one complete document, never a partial one.

A forked child rewrites the same file in a loop with two different large documents; the parent kills it at random
moments. What a kill can leave behind: at most one ``.settings.json.<random>.tmp`` (the write in progress), never
readable by other users. atomic_write does not clean such files up; see the report of the last test.
"""

import json
import os
import random
import select
import signal
import stat
import time

import pytest

from ansible_collections.fleetcfg.claude_code.plugins.module_utils import safe_fs
from ansible_collections.fleetcfg.claude_code.plugins.module_utils.settings_doc import dumps

pytestmark = pytest.mark.skipif(not hasattr(os, 'fork'), reason='needs fork')

KILLS = 30
NOBODY = 65534


def documents():
    # Two documents of different sizes (about 0.2 and 0.35 MB), so no prefix of one is the other.
    a = {'generation': 'A', 'env': {'ANTHROPIC_BASE_URL': 'https://a.example.com'},
         'permissions': {'allow': ['Bash(a-%05d)' % i for i in range(10000)]}}
    b = {'generation': 'B', 'env': {'ANTHROPIC_BASE_URL': 'https://b.example.com'},
         'permissions': {'allow': ['Bash(bb-%06d)' % i for i in range(17500)]}}
    return dumps(a).encode('utf-8'), dumps(b).encode('utf-8')


def writer(folder, docs, first, ready_w):
    """The child: rewrite settings.json forever, alternating the documents from ``first``. Never returns."""
    try:
        loc = safe_fs.locate(os.path.join(folder, 'settings.json'))
        i = first
        while True:
            _raw, st = safe_fs.read(loc)
            safe_fs.atomic_write(loc, docs[i % 2], NOBODY, NOBODY, 0o644, current=st)
            if i == first:
                os.write(ready_w, b'1')
            i += 1
    finally:
        os._exit(1)


@pytest.mark.skipif(os.geteuid() != 0, reason='writes files owned by another user: needs root')
def test_settings_file_is_always_complete_after_sigkill(tmp_path):
    folder = str(tmp_path)
    path = os.path.join(folder, 'settings.json')
    docs = documents()
    with open(path, 'wb') as f:
        f.write(docs[1])
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    seen_docs = set()
    stray = []  # (kill number, name, mode, uid) of temporary files a kill left behind
    started = time.monotonic()
    for kill in range(KILLS):
        ready_r, ready_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(ready_r)
            writer(folder, docs, kill % 2, ready_w)
        os.close(ready_w)
        try:
            ready, _w, _x = select.select([ready_r], [], [], 20)
            assert ready and os.read(ready_r, 1) == b'1', 'the writer did not complete a first write (seed %d)' % seed
            time.sleep(rng.uniform(0, 0.01))
        finally:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(ready_r)

        with open(path, 'rb') as f:
            data = f.read()
        assert data in docs, 'kill %d left a partial settings file of %d bytes (seed %d)' % (kill, len(data), seed)
        assert json.loads(data.decode('utf-8'))['generation'] in ('A', 'B')
        seen_docs.add(data)
        st = os.stat(path)
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (NOBODY, NOBODY, 0o644)

        names = sorted(os.listdir(folder))
        tmps = [n for n in names if n != 'settings.json']
        assert len(tmps) <= 1, 'kill %d: more than the one write in progress left files: %r' % (kill, tmps)
        for name in tmps:
            assert name.startswith('.settings.json.') and name.endswith('.tmp'), name
            tst = os.lstat(os.path.join(folder, name))
            assert stat.S_ISREG(tst.st_mode)
            # Root's 0600 file, then chowned, then given the final mode: never more readable than the settings file.
            assert (tst.st_uid, stat.S_IMODE(tst.st_mode)) in ((0, 0o600), (NOBODY, 0o600), (NOBODY, 0o644)), \
                (tst.st_uid, oct(tst.st_mode))
            stray.append((kill, name, oct(stat.S_IMODE(tst.st_mode)), tst.st_uid))
            os.unlink(os.path.join(folder, name))  # start the next round clean
    elapsed = time.monotonic() - started
    print('seed %d: %d kills in %.2fs, %d left a temporary file: %r' % (seed, KILLS, elapsed, len(stray), stray[:5]))
    assert seen_docs == set(docs), 'the writer never got to alternate the documents; the test exercised nothing'
