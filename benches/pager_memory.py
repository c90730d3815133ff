#!/usr/bin/env python3
"""Peak memory and opening time of the real binary paging a 10 MiB license in a
pseudo-terminal: opens it, jumps to the end, searches, declines. Usage:
benches/pager_memory.py path/to/eula-gate"""
import fcntl
import os
import pty
import re
import select
import struct
import sys
import tempfile
import termios
import time

binary = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
eula = open(os.path.join(here, "..", "assets", "licenses", "portsip-eula.txt"), encoding="utf-8").read()
ten_mib = 10 * 1024 * 1024
text = eula * (ten_mib // len(eula.encode()) + 1)

with tempfile.TemporaryDirectory() as tmp:
    license_path = os.path.join(tmp, "big.txt")
    with open(license_path, "w", encoding="utf-8") as f:
        f.write(text)
    size = os.path.getsize(license_path)
    env = {k: v for k, v in os.environ.items() if k not in ("DEBIAN_FRONTEND", "EULA_GATE_ACCEPT", "NO_COLOR")}
    env.update(TERM="xterm", EULA_GATE_RECEIPT_DIR=os.path.join(tmp, "r"))
    started = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        os.execve(binary, [binary, "--product", "big", "--license", license_path], env)

    seen = b""

    def wait_for(pattern, timeout=30):
        global seen
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, seen):
                return time.monotonic()
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    seen += os.read(fd, 65536)
                except OSError:
                    break
        sys.exit(f"timed out waiting for {pattern!r}")

    opened = wait_for(rb"lines 1-\d+ of")
    seen = b""
    os.write(fd, b"G")
    wait_for(rb"END of the text")
    seen = b""
    os.write(fd, b"/no such phrase\r")
    wait_for(rb"Pattern not found")
    status = open(f"/proc/{pid}/status").read()
    peak_kib = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))
    os.write(fd, b"q")
    wait_for(rb"to decline")
    os.write(fd, b"no\r")
    _, code = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(code) == 3, code

peak = peak_kib * 1024
print(f"pager opens a {size / 1048576:.1f} MiB license in {1000 * (opened - started):6.1f} ms (first screen shown)")
print(f"peak memory paging it          {peak / 1048576:6.1f} MiB = {peak / size:.2f}x the text (target < 4x)")
