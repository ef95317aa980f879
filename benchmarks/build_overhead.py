"""Build overhead of both engines before the solve, in CPU seconds (time.process_time, so that
the figures mean something on a shared machine).

    python benchmarks/generate.py national /tmp/national
    python benchmarks/build_overhead.py /tmp/national [PROFILE]
"""

from __future__ import annotations

import sys
import time

import supplyopt
from supplyopt.engines.highs import HighsEngine
from supplyopt.engines.pyomo_view import build_model, to_lp
from supplyopt.model.options import load_options
from supplyopt.model.statement import build_lp


def timed(f, *args):
    t = time.process_time()
    out = f(*args)
    return out, time.process_time() - t


def main(path: str, profile: str = "models/default.yaml") -> None:
    net = supplyopt.load(path)
    opt = load_options(profile)
    lp, t_build = timed(build_lp, net, opt)
    _, t_pass = timed(HighsEngine, lp, opt.solver)
    m, t_model = timed(build_model, net, opt, lp)
    (plp, _, _, _), t_compile = timed(to_lp, m, net.periods)
    _, t_pass_p = timed(HighsEngine, plp, opt.solver)
    print(f"{lp.n_cols:,} variables, {lp.n_rows:,} rows, {lp.n_nonzeros:,} nonzeros (CPU seconds)")
    print(f"array engine: build_lp {t_build:.2f}, passModel {t_pass:.2f}, total {t_build + t_pass:.2f}")
    print(f"pyomo engine (the view generated from build_lp's arrays): build_model {t_model:.2f}, to_lp {t_compile:.2f}, passModel {t_pass_p:.2f}, total {t_model + t_compile + t_pass_p:.2f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
