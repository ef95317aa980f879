"""Example extension: a cap on total transport CO2 over the horizon.

    supplyopt solve data/shanxi --model models/default.yaml --extend models/extensions/co2_cap.py

``extra_functionality`` receives the Pyomo model (generated from the statement, ``supplyopt.engines.pyomo_view.build_model``), the
network and the options, and adds its own components. This one adds a mutable Param
``co2_cap_t`` (the cap, tonnes of CO2) and a Constraint ``co2_cap``:

    Σ distance_km[l] · co2_kg_per_tkm[l] / 1000 · flow[l, p, t]  ≤  co2_cap_t

The constraint appears in the results by its name: summary.json → requirements and
model.constraint_families, and prices.csv (kind ``co2_cap``: CNY saved per extra tonne of CO2
allowed, when the cap binds). The cap is about 82 % of the CO2 of the uncapped plan (5.01 Mt) of the
``data/shanxi`` data set unless the environment variable SUPPLYOPT_CO2_CAP_T sets it.
"""

import os

import pyomo.environ as pyo

SHANXI_CAP_T = 4_100_000.0  # about 82 % of the uncapped Shanxi plan's 5.01 Mt CO2 (docs/model.md)


def extra_functionality(model, network, options):
    m = model
    m.co2_cap_t = pyo.Param(initialize=float(os.environ.get("SUPPLYOPT_CO2_CAP_T", SHANXI_CAP_T)), mutable=True)

    def co2_cap(m):
        """Σ distance_km · co2_kg_per_tkm / 1000 · flow ≤ co2_cap_t (t CO2 over the horizon)."""
        return sum(m.distance_km[l] * m.co2_kg_per_tkm[l] / 1000.0 * m.flow[l, p, t] for l, p, t in m.FLOWS) <= m.co2_cap_t

    m.co2_cap = pyo.Constraint(rule=co2_cap, doc="tonnes of transport CO2 over the horizon, within the cap")
