#!/usr/bin/env python3
"""A process named by any bytes: named.py NAME sets its comm to NAME (at most
15 bytes kept, no NUL) with prctl(PR_SET_NAME), as any process may, then
stays lightly busy until killed. For the tests of hostile names
(tests/hostile-lib.sh)."""
import ctypes
import os
import sys
import time

PR_SET_NAME = 15

libc = ctypes.CDLL(None, use_errno=True)
# The bytes as given: argv is decoded with surrogateescape, fsencode undoes it.
if libc.prctl(PR_SET_NAME, os.fsencode(sys.argv[1]), 0, 0, 0):
    sys.exit("prctl(PR_SET_NAME): " + os.strerror(ctypes.get_errno()))
while True:
    sum(range(20000))
    time.sleep(0.1)
