#!/usr/bin/env python3
"""Peak memory of the real binary paging licenses in a pseudo-terminal, ordinary and
pathological: for each text it opens the pager, jumps to the end, searches, and
declines; it reports the peak RSS (VmHWM) against the size of the text (target < 4x
for every text), the opening time, and the bytes written to the terminal for the
one key G (a screen's worth: bounded by the terminal's size, not by the text).
Usage: benches/pager_memory.py path/to/eula-gate [CASE...]"""
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

MIB = 1024 * 1024
ROWS, COLS = 24, 80


def eula_10_mib():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "assets", "licenses", "portsip-eula.txt"), "rb") as f:
        eula = f.read()
    return eula * (10 * MIB // len(eula) + 1)


# Each case: a name and the bytes of the license file (at most 32 MiB, the limit).
CASES = {
    "eula-10mib": eula_10_mib,
    "nul-32mib": lambda: b"\0" * (32 * MIB),
    "esc-32mib": lambda: b"\x1b" * (32 * MIB),
    # One line: a letter, then 11 million zero-width spaces (U+200B, 3 bytes each).
    "zwsp-line": lambda: b"x" + "\u200b".encode() * 11_000_000 + b"\n",
    # One line: a letter, then 16 million combining acute accents (2 bytes each).
    "combining-line": lambda: b"e" + "\u0301".encode() * (16 * MIB - 1) + b"\n",
    # 32 million empty lines between two letters: one screen row per byte.
    "newlines-32mib": lambda: b"x" + b"\n" * (32 * MIB - 2) + b"x",
    # Tabs, each eight columns wide once expanded.
    "tabs-32mib": lambda: b"\t" * (32 * MIB - 1) + b"x",
}


def run_case(binary, name, data):
    with tempfile.TemporaryDirectory() as tmp:
        license_path = os.path.join(tmp, "big.txt")
        with open(license_path, "wb") as f:
            f.write(data)
        size = os.path.getsize(license_path)
        env = {k: v for k, v in os.environ.items() if k not in ("DEBIAN_FRONTEND", "EULA_GATE_ACCEPT", "NO_COLOR")}
        env.update(TERM="xterm", EULA_GATE_RECEIPT_DIR=os.path.join(tmp, "r"))
        started = time.monotonic()
        pid, fd = pty.fork()
        if pid == 0:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
            os.execve(binary, [binary, "--product", "big", "--license", license_path], env)

        state = {"seen": bytearray(), "searched": 0}

        def wait_for(pattern, timeout=120):
            """Reads until `pattern` appears in what came since the last call; returns
            the time and the number of bytes read."""
            seen = state["seen"]
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                # Only the new part (and a little before it) is searched: frames can be large.
                start = max(0, state["searched"] - 256)
                if re.search(pattern, bytes(seen[start:])):
                    return time.monotonic(), len(seen)
                state["searched"] = len(seen)
                ready, _, _ = select.select([fd], [], [], 0.05)
                if ready:
                    try:
                        seen += os.read(fd, 1 << 20)
                    except OSError:
                        break
            sys.exit(f"{name}: timed out waiting for {pattern!r}")

        def fresh():
            state["seen"] = bytearray()
            state["searched"] = 0

        opened, _ = wait_for(rb"lines 1-\d+ of")
        fresh()
        os.write(fd, b"G")
        _, frame_bytes = wait_for(rb"END of the text")
        # The rest of that frame, if any, after the status line.
        time.sleep(0.2)
        while select.select([fd], [], [], 0.05)[0]:
            state["seen"] += os.read(fd, 1 << 20)
        frame_bytes = len(state["seen"])
        fresh()
        os.write(fd, b"/no such phrase\r")
        wait_for(rb"Pattern not found")
        with open(f"/proc/{pid}/status") as f:
            status = f.read()
        peak = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024
        fresh()
        os.write(fd, b"q")
        wait_for(rb"to decline")
        os.write(fd, b"no\r")
        _, code = os.waitpid(pid, 0)
        os.close(fd)
        assert os.waitstatus_to_exitcode(code) == 3, code
    ratio = peak / size
    verdict = "ok" if ratio < 4 else "OVER TARGET"
    print(
        f"{name:<15} {size / MIB:5.1f} MiB  opens in {1000 * (opened - started):7.1f} ms  "
        f"peak RSS {peak / MIB:6.1f} MiB = {ratio:5.2f}x the text (target < 4x) {verdict:<11}  "
        f"key G wrote {frame_bytes:>9} bytes ({ROWS}x{COLS} terminal)",
        flush=True,
    )
    return ratio < 4


def main():
    binary = sys.argv[1]
    names = sys.argv[2:] or list(CASES)
    ok = True
    for name in names:
        ok &= run_case(binary, name, CASES[name]())
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
