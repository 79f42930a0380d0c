"""Runs a Python program as __main__ with its random numbers fixed, without changing the program.

    run_seeded.py SEED PATH [ARGS...]

random.seed(SEED) alone is not enough for a multiprocessing program: the random module reseeds
itself from os.urandom in every forked child (its own os.register_at_fork hook), so a Pool's
workers would draw different numbers on every run. This wrapper registers a hook after random's
that seeds the n-th child forked from this process with SEED + n (the parent counts its forks
before each one), so worker 1, 2, ... draw the same numbers on every run, each its own. That is
the fork start method (Linux's default); spawn/forkserver children do not run this wrapper.
"""
import os
import random
import runpy
import sys


def main():
    seed = int(sys.argv[1])
    path = sys.argv[2]
    forks = [0]

    def before():
        forks[0] += 1

    def in_child():
        random.seed(seed + forks[0])

    random.seed(seed)
    os.register_at_fork(before=before, after_in_child=in_child)
    sys.argv = sys.argv[2:]
    runpy.run_path(path, run_name="__main__")


if __name__ == "__main__":
    main()
