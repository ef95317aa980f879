"""HiGHS in memory and the Pyomo view, both generated from model/; warm re-solves; explanations."""
