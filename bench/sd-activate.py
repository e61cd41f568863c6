#!/usr/bin/env python3
"""A stand-in for systemd's socket units, for tests and bench/restarts (not for production).

  bench/sd-activate.py PATH [--restarts N] -- COMMAND [ARG...]

Binds and listens on the Unix socket PATH itself, then runs COMMAND with the listening socket
as fd 3 and LISTEN_FDS=1, LISTEN_PID=<its pid>, LISTEN_FDNAMES=uds (sd_listen_fds(3)), as
systemd does for a .socket unit with Accept=no. When COMMAND exits it is started again, up to N
times (default 0), while this process keeps the socket: connections made meanwhile wait in the
kernel's backlog, as under `systemctl restart`. Prints "started PID" on stdout for each start.
systemd-socket-activate(1) cannot show that: it execs the command and holds nothing after.
"""
import os
import socket
import sys


def main(argv):
    if '--' not in argv or len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    sep = argv.index('--')
    opts, command = argv[1:sep], argv[sep + 1:]
    path, restarts = opts[0], 0
    if len(opts) == 3 and opts[1] == '--restarts':
        restarts = int(opts[2])
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(512)
    status = 0
    for run in range(restarts + 1):
        pid = os.fork()
        if pid == 0:
            if listener.fileno() != 3:
                os.dup2(listener.fileno(), 3)
            os.set_inheritable(3, True)
            env = dict(os.environ, LISTEN_FDS='1', LISTEN_PID=str(os.getpid()), LISTEN_FDNAMES='uds')
            os.execvpe(command[0], command, env)
        print('started %d' % pid, flush=True)
        _, raw = os.waitpid(pid, 0)
        status = os.waitstatus_to_exitcode(raw)
        print('exited %d status %d' % (pid, status), flush=True)
    listener.close()
    os.unlink(path)
    return status


if __name__ == '__main__':
    sys.exit(main(sys.argv))
