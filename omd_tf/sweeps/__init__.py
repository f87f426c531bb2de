"""The paper's figures as sweeps of training runs on Ray Tune.

figures  the one table of the figures' grids (appendix D's values)
run      the grid points as Ray Tune trials; only unfinished ones re-run
results  a finished sweep's figure: CSV and PNG
"""
