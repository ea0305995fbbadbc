"""Run another test program (`pidfile.py PROGRAM ARGS…`) after appending this process's pid
to the file named by $NODE_PID_FILE: a test can then check, from outside, that every node
process a `replicheck` command started is gone once the command has exited."""

import os
import runpy
import sys

with open(os.environ["NODE_PID_FILE"], "a") as out:
    out.write(f"{os.getpid()}\n")
program = os.path.join(os.path.dirname(os.path.abspath(__file__)), sys.argv[1])
sys.argv = [program, *sys.argv[2:]]
runpy.run_path(program, run_name="__main__")
