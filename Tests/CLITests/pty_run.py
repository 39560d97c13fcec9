#!/usr/bin/env python3
"""Runs the sourcevault binary on a pseudo-terminal, as a person at a terminal would.

usage: pty_run.py STEPS_JSON FD3_FILE BINARY ARGS...
STEPS_JSON: [["expect", "text"], ["send", "text"], ...]: wait for text on the screen (after what the
previous expectation matched), then type.
The child gets the pty as its controlling terminal and stdin/stdout/stderr, and FD3_FILE on fd 3
(for --passphrase-fd 3). Prints JSON {"status": exit status, "screen": everything shown,
"unmet": the first expectation not seen (or null)} on stdout.
"""
import json, os, pty, select, sys, time

steps = json.loads(sys.argv[1])
fd3_file, argv = sys.argv[2], sys.argv[3:]
pid, master = pty.fork()
if pid == 0:
    fd = os.open(fd3_file, os.O_RDONLY)
    if fd != 3:
        os.dup2(fd, 3)
        os.close(fd)
    else:
        os.set_inheritable(3, True)
    os.execv(argv[0], argv)

screen = b""
def read_some(timeout):
    global screen
    r, _, _ = select.select([master], [], [], timeout)
    if not r:
        return False
    try:
        data = os.read(master, 4096)
    except OSError:
        return None
    if not data:
        return None
    screen += data
    return True

unmet = None
pos = 0  # each expectation is looked for after the previous one's match
for kind, text in steps:
    if kind == "expect":
        deadline = time.time() + 20
        while screen.find(text.encode(), pos) < 0 and time.time() < deadline:
            if read_some(0.2) is None:
                break
        at = screen.find(text.encode(), pos)
        if at < 0:
            unmet = text
            break
        pos = at + len(text.encode())
    elif kind == "send":
        os.write(master, text.encode())
status = None
deadline = time.time() + 30
while time.time() < deadline:
    read_some(0.2)
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = st
        while read_some(0.1):
            pass
        break
if status is None:
    os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
print(json.dumps({"status": os.waitstatus_to_exitcode(status), "screen": screen.decode("utf-8", "replace"), "unmet": unmet}))
