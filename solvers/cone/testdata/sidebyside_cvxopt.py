#!/usr/bin/python3
"""Time cvxopt.solvers.conelp on the instances of sidebyside_instances.json
(written for optlayers): for each instance, REPS solves (default 5) after
one warm-up, printing the median wall time of one solve and the median
CPU time of the process over one solve (time.process_time: with
OMP_NUM_THREADS=1 the one thread's), in-process (no interpreter start-up,
no JSON parsing, no conversion in the timing).

    OMP_NUM_THREADS=1 /usr/bin/python3 sidebyside_cvxopt.py sidebyside_instances.json [REPS] [NAME-REGEX]

Output lines: "cvxopt NAME s=SECONDS cpu=SECONDS iters=K objective=F".
"""
import json
import re
import statistics
import sys
import time

from cvxopt import solvers

import sidebyside_common as cc


def main():
    insts = json.load(open(sys.argv[1]))
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    pat = re.compile(sys.argv[3] if len(sys.argv) > 3 else ".")
    solvers.options.update({"show_progress": False, "abstol": 1e-8, "reltol": 1e-8, "feastol": 1e-8, "maxiters": 200})
    for inst in insts:
        if not pat.search(inst["name"]):
            continue
        args = cc.to_cvxopt(inst)
        sol = solvers.conelp(*args)  # warm-up
        ts, cs = [], []
        for _ in range(reps):
            t, c = time.perf_counter(), time.process_time()
            sol = solvers.conelp(*args)
            ts.append(time.perf_counter() - t)
            cs.append(time.process_time() - c)
        print(f"cvxopt {inst['name']} s={statistics.median(ts):.6f} cpu={statistics.median(cs):.6f} iters={sol['iterations']} objective={sol['primal objective']:.10g} status={sol['status']}", flush=True)


if __name__ == "__main__":
    main()
