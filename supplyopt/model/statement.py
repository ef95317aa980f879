"""The supply-and-stockpile linear program: the one statement of what the model means.

``build_lp`` reads as the model: a list of variable families, constraint families and cost
components, each a small function built from the network's tables in vectorised calls (no
loops over elements). The result, a :class:`LinearProgram`, holds each family as labelled
arrays; ``engines/solver.py`` hands it to HiGHS directly or through Pyomo (``engines/pyomo_view.py``), and
``results.py`` turns the solution back into tables using the same labels.

Units: tonnes per period for every variable, the data set's currency (CNY) for costs.
Periods are numbered from 0 inside the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from supplyopt.io.data import STANDARD_COAL_KCAL_PER_KG
from supplyopt.io.network import Network
from supplyopt.model.options import Options

INF = np.inf


# --------------------------------------------------------------------------- containers
@dataclass
class VariableFamily:
    """Variables of one kind, e.g. ``flow[link, product, period]``.

    ``index`` has one row per variable: the key columns first (``keys``), then attributes
    the model and reports use (mode, distance …). Column ``start + i`` of the LP is row i.
    """

    name: str
    meaning: str
    keys: list[str]
    index: pd.DataFrame
    lower: np.ndarray
    upper: np.ndarray
    start: int
    integrality: str = "continuous"  # continuous | integer | binary (binary: integer in [0, 1])

    @property
    def size(self) -> int:
        return len(self.index)

    @property
    def cols(self) -> np.ndarray:
        return self.start + np.arange(self.size)


@dataclass
class ConstraintFamily:
    """Rows of one kind, ``lower ≤ Σ coef · x ≤ upper``, with their labels in ``index``.

    ``rows`` are positions within the family, ``cols`` global LP columns.
    """

    name: str
    meaning: str
    keys: list[str]
    index: pd.DataFrame
    lower: np.ndarray
    upper: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    coefs: np.ndarray
    start: int

    @property
    def size(self) -> int:
        return len(self.index)


@dataclass
class LinearProgram:
    """A minimisation LP as labelled families of columns and rows, plus named cost parts."""

    name: str
    variables: dict[str, VariableFamily] = field(default_factory=dict)
    constraints: dict[str, ConstraintFamily] = field(default_factory=dict)
    costs: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    n_cols: int = 0
    n_rows: int = 0

    def add_variables(self, name: str, meaning: str, keys: list[str], index: pd.DataFrame, lower, upper, integrality: str = "continuous") -> VariableFamily:
        """Add a family of columns. ``integrality`` integer or binary makes the LP a MIP
        (binary clips the bounds to [0, 1])."""
        if integrality not in ("continuous", "integer", "binary"):
            raise ValueError(f"integrality must be continuous, integer or binary, not {integrality!r}")
        self._new_name(name)
        n = len(index)
        lower = np.broadcast_to(np.asarray(lower, float), (n,)).copy()
        upper = np.broadcast_to(np.asarray(upper, float), (n,)).copy()
        if integrality == "binary":
            lower, upper = np.clip(lower, 0.0, 1.0), np.clip(upper, 0.0, 1.0)
        fam = VariableFamily(name, meaning, keys, index.reset_index(drop=True), lower, upper, self.n_cols, integrality)
        self.variables[name] = fam
        self.n_cols += n
        return fam

    def add_constraints(self, name: str, meaning: str, keys: list[str], index: pd.DataFrame, rows, cols, coefs, lower, upper) -> ConstraintFamily:
        """Add a family of rows ``lower ≤ Σ coefs · x ≤ upper`` (``rows`` within the family,
        ``cols`` global columns)."""
        self._new_name(name)
        n = len(index)
        fam = ConstraintFamily(
            name, meaning, keys, index.reset_index(drop=True),
            np.broadcast_to(np.asarray(lower, float), (n,)).copy(),
            np.broadcast_to(np.asarray(upper, float), (n,)).copy(),
            np.asarray(rows, np.int64), np.asarray(cols, np.int64), np.asarray(coefs, float),
            self.n_rows,
        )
        self.constraints[name] = fam
        self.n_rows += n
        return fam

    def _new_name(self, name: str) -> None:
        """A family's name is its label in results, duals and messages: using one twice would
        silently replace the first family, so it is an error."""
        if name in self.variables or name in self.constraints:
            raise ValueError(f"a variable or constraint family named {name!r} exists already in the model; give the new family its own name")

    def add_cost(self, name: str, cols, coefs) -> None:
        """Add a named cost component Σ coef · x (CNY); zero coefficients are dropped. Terms
        given under a name already used are added to that part, never replace it."""
        cols, coefs = np.asarray(cols, np.int64), np.asarray(coefs, float)
        keep = coefs != 0
        if name in self.costs:
            held = self.costs[name]
            self.costs[name] = (np.concatenate([held[0], cols[keep]]), np.concatenate([held[1], coefs[keep]]))
            return
        self.costs[name] = (cols[keep], coefs[keep])

    def objective(self) -> np.ndarray:
        """Dense objective vector: the sum of all cost components."""
        c = np.zeros(self.n_cols)
        for cols, coefs in self.costs.values():
            np.add.at(c, cols, coefs)
        return c

    def bounds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Column lower/upper and row lower/upper bounds, in LP order."""
        fams, cons = self.variables.values(), self.constraints.values()
        return (
            np.concatenate([f.lower for f in fams]) if fams else np.zeros(0),
            np.concatenate([f.upper for f in fams]) if fams else np.zeros(0),
            np.concatenate([f.lower for f in cons]) if cons else np.zeros(0),
            np.concatenate([f.upper for f in cons]) if cons else np.zeros(0),
        )

    def triplets(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All nonzeros as (global row, column, coefficient)."""
        cons = list(self.constraints.values())
        if not cons:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        return (
            np.concatenate([c.start + c.rows for c in cons]),
            np.concatenate([c.cols for c in cons]),
            np.concatenate([c.coefs for c in cons]),
        )

    def integrality(self) -> np.ndarray:
        """1 for integer columns, 0 for continuous ones, in LP order (HiGHS's encoding)."""
        fams = self.variables.values()
        if not fams:
            return np.zeros(0, np.int32)
        return np.concatenate([np.full(f.size, int(f.integrality != "continuous"), np.int32) for f in fams])

    @property
    def is_mip(self) -> bool:
        return any(f.integrality != "continuous" and f.size for f in self.variables.values())

    @property
    def n_nonzeros(self) -> int:
        return int(sum(len(c.coefs) for c in self.constraints.values()))


# --------------------------------------------------------------------------- the model
def build_lp(net: Network, opt: Options) -> LinearProgram:
    """The LP for a network and options; reads top to bottom as the model."""
    lp = LinearProgram(net.name)
    production = production_variables(lp, net)
    flow = flow_variables(lp, net)
    stock = stock_variables(lp, net, opt)
    unmet = unmet_variables(lp, net, opt)
    shortfall = safety_shortfall_variables(lp, net, opt)
    end_shortfall = end_shortfall_variables(lp, stock, opt)

    received = receipts(net, flow)  # what each flow counts as where it arrives (blended on receipt)
    node_balance(lp, net, production, flow, stock, unmet, received)
    link_capacity(lp, flow)
    storage_capacity(lp, net, stock)
    safety_stock(lp, stock, shortfall)
    end_stock_target(lp, stock, end_shortfall)
    max_truck_share_tkm(lp, flow, opt)
    max_mine_truck_share(lp, net, production, flow, opt)
    blend_calorific(lp, net, received)
    blend_sulphur(lp, net, received)

    lp.add_cost("production", production.cols, production.index["cost_cny_per_t"])
    lp.add_cost("transport", flow.cols, flow.index["cost_cny_per_t"])
    lp.add_cost("holding", stock.cols, stock.index["holding_cny_per_t"])
    lp.add_cost("unmet_penalty", unmet.cols, unmet.index["penalty_cny_per_t"])
    lp.add_cost("safety_penalty", shortfall.cols, np.full(shortfall.size, opt.safety_penalty_cny_per_t))
    lp.add_cost("end_stock_penalty", end_shortfall.cols, np.full(end_shortfall.size, opt.end_stock_penalty_cny_per_t or 0.0))
    lp.add_cost("truck_penalty", flow.cols, opt.truck_penalty_cny_per_tkm * flow.index["truck_tkm_per_t"])
    lp.add_cost("carbon", flow.cols, opt.carbon_price_cny_per_t_co2 * flow.index["co2_t_per_t"])
    return lp


COST_COMPONENTS = ("production", "transport", "holding", "unmet_penalty", "safety_penalty", "end_stock_penalty", "truck_penalty", "carbon")


# --------------------------------------------------------------------------- variables
def production_variables(lp: LinearProgram, net: Network) -> VariableFamily:
    """production[mine, product, period] (t): min_t ≤ production ≤ capacity_t."""
    index = net.supply.rename(columns={"node": "mine"}).reset_index(drop=True)
    return lp.add_variables("production", "tonnes produced at a mine in a period", ["mine", "product", "period"], index, index["min_t"], index["capacity_t"])


def flow_variables(lp: LinearProgram, net: Network) -> VariableFamily:
    """flow[link, product, period] (t entering the link): 0 ≤ flow ≤ capacity_t.

    Only (link, allowed product, period) combinations that exist are created. Where one
    product uses a link its capacity is a column bound (cheaper than a row); shared links
    get a ``link_capacity`` row instead.
    """
    links = net.links.rename(columns={"id": "link"}).merge(net.modes, on="mode", how="left")  # mode flags per link, not per flow
    all_products = tuple(net.products)
    links["product"] = links["products"].map(lambda ps: list(ps) if ps else list(all_products))
    nodes = pd.Index(net.nodes["id"])
    links["from_code"], links["to_code"] = _codes(links["from"], nodes), _codes(links["to"], nodes)  # for node_balance
    link_products = links.explode("product").sort_values(["link", "product"], kind="stable")
    link_products["n_products"] = link_products.groupby("link")["product"].transform("size")
    # link_periods is sorted by (link, period) and an inner merge keeps the left order, so
    # the result is already in (link, product, period) order: no sort of the large table.
    index = link_products.drop(columns="products").merge(net.link_periods, on="link", how="inner", sort=False)
    index["truck_tkm_per_t"] = np.where(index["truck"], index["distance_km"], 0.0)
    index["co2_t_per_t"] = index["distance_km"] * index["co2_kg_per_tkm"] / 1000.0
    upper = np.where(index["n_products"] == 1, index["capacity_t"], INF)
    return lp.add_variables("flow", "tonnes entering a link in a period", ["link", "product", "period"], index, 0.0, upper)


def stock_variables(lp: LinearProgram, net: Network, opt: Options) -> VariableFamily:
    """stock[node, product, period] (t at the end of the period).

    0 ≤ stock ≤ capacity_t (a bound where the node holds one product, else a
    ``storage_capacity`` row); in the last period stock ≥ the end-of-horizon level.
    """
    index = net.storage_periods.merge(net.storage, on=["node", "product"]).merge(net.storage_capacity, on=["node", "period"], how="left")
    index = index.sort_values(["node", "product", "period"], kind="stable").reset_index(drop=True)
    index["n_products"] = index.groupby(["node", "period"])["product"].transform("size")
    upper = np.where(index["n_products"] == 1, index["capacity_t"].fillna(INF), INF)
    index["end_target_t"] = end_targets(index, net, opt)
    hard = opt.end_stock_penalty_cny_per_t is None
    index["end_min_t"] = index["end_target_t"] if hard else 0.0
    return lp.add_variables("stock", "tonnes in stock at the end of a period", ["node", "product", "period"], index, index["end_min_t"], upper)


def end_targets(stocks: pd.DataFrame, net: Network, opt: Options) -> np.ndarray:
    """The end-of-horizon target (t) of each stock row: in the last period ``end_t`` where the
    data or a scenario gives one, else the profile's ``end_stock`` rule (initial_t, safety_t
    or 0); 0 in every other period."""
    last = (stocks["period"] == net.n_periods - 1).to_numpy()
    rule = {"initial": stocks["initial_t"], "safety": stocks["safety_t"], "free": pd.Series(0.0, index=stocks.index)}[opt.end_stock]
    return np.where(last, stocks["end_t"].fillna(rule), 0.0)


def end_shortfall_variables(lp: LinearProgram, stock: VariableFamily, opt: Options) -> VariableFamily:
    """end_shortfall[node, product, period] (t the last period's stock ends below its target):
    0 ≤ end_shortfall ≤ target, costing ``end_stock_penalty_cny_per_t`` each. Only where the
    target is soft and above 0 (a hard target is the stock's lower bound instead)."""
    si = stock.index
    soft = opt.end_stock_penalty_cny_per_t is not None
    index = si.loc[(si["end_target_t"] > 0) & soft, ["node", "product", "period", "end_target_t"]].reset_index(drop=True) if soft else si.iloc[0:0][["node", "product", "period", "end_target_t"]]
    return lp.add_variables("end_shortfall", "tonnes the stock ends the horizon below its end target", ["node", "product", "period"], index, 0.0, index["end_target_t"])


def unmet_variables(lp: LinearProgram, net: Network, opt: Options) -> VariableFamily:
    """unmet[node, product, period] (t of demand not delivered): 0 ≤ unmet ≤ demand_t.

    Blank demand penalties take the profile's ``unmet_penalty_cny_per_t``."""
    index = net.demand.reset_index(drop=True).copy()
    index["penalty_cny_per_t"] = index["penalty_cny_per_t"].fillna(opt.unmet_penalty_cny_per_t)
    return lp.add_variables("unmet", "tonnes of demand not delivered", ["node", "product", "period"], index, 0.0, index["demand_t"])


def safety_shortfall_variables(lp: LinearProgram, net: Network, opt: Options) -> VariableFamily:
    """safety_shortfall[node, product, period] (t below safety stock).

    0 ≤ shortfall ≤ safety_t when soft; shortfall = 0 when ``safety_stock: hard``.
    Only where safety_t > 0.
    """
    sp = net.storage_periods
    index = sp[sp["safety_t"] > 0].sort_values(["node", "product", "period"], kind="stable").reset_index(drop=True)
    upper = index["safety_t"] if opt.safety_stock == "soft" else 0.0
    return lp.add_variables("safety_shortfall", "tonnes below safety stock at the end of a period", ["node", "product", "period"], index, 0.0, upper)


# --------------------------------------------------------------------------- constraints
def _codes(values: pd.Series, categories: pd.Index) -> np.ndarray:
    return pd.Categorical(values, categories=categories).codes.astype(np.int64)


def node_balance(lp: LinearProgram, net: Network, production, flow, stock, unmet, received: pd.DataFrame) -> ConstraintFamily:
    """Coal conservation at every node, product and period that any variable touches:

    production + Σ efficiency·flow_in + stock[t-1] − Σ flow_out − stock[t] + unmet = demand_t
    (with initial_t on the right-hand side in the first period as − initial_t). With
    quality.csv, a grade entering a node that demands the product the grade ``serves`` counts
    in that product's balance (blended on receipt), and where the demand is in tce each
    arriving tonne counts calorific_kcal_per_kg / 7,000 (:func:`receipts`).
    """
    nodes, products, T = pd.Index(net.nodes["id"]), pd.Index(net.products), net.n_periods

    def code(node, product, period):
        node_code = node.to_numpy(np.int64) if pd.api.types.is_integer_dtype(node) else _codes(node, nodes)
        return (node_code * len(products) + _codes(product, products)) * T + np.asarray(period, np.int64)

    fi, si = flow.index, stock.index
    carried = (si["period"] < T - 1).to_numpy()
    parts = [
        (code(production.index["mine"], production.index["product"], production.index["period"]), production.cols, 1.0),
        (code(fi["from_code"], fi["product"], fi["period"]), flow.cols, -1.0),
        (code(fi["to_code"], received["product"], fi["period"]), flow.cols, received["coef"].to_numpy()),
        (code(si["node"], si["product"], si["period"]), stock.cols, -1.0),
        (code(si["node"][carried], si["product"][carried], si["period"][carried] + 1), stock.cols[carried], 1.0),
        (code(unmet.index["node"], unmet.index["product"], unmet.index["period"]), unmet.cols, 1.0),
    ]
    keys = np.concatenate([p[0] for p in parts])
    cols = np.concatenate([p[1] for p in parts])
    coefs = np.concatenate([np.broadcast_to(np.asarray(p[2], float), (len(p[0]),)) for p in parts])
    row_codes, rows = np.unique(keys, return_inverse=True)

    rhs = np.zeros(len(row_codes))
    dem = net.demand
    np.add.at(rhs, np.searchsorted(row_codes, code(dem["node"], dem["product"], dem["period"])), dem["demand_t"].to_numpy())
    first = net.storage
    np.add.at(rhs, np.searchsorted(row_codes, code(first["node"], first["product"], np.zeros(len(first), np.int64))), -first["initial_t"].to_numpy())

    period = row_codes % T
    rest = row_codes // T
    index = pd.DataFrame({"node": nodes[rest // len(products)], "product": products[rest % len(products)], "period": period})
    return lp.add_constraints("node_balance", "coal in = coal out at a node, product and period (t)", ["node", "product", "period"], index, rows, cols, coefs, rhs, rhs)


def link_capacity(lp: LinearProgram, flow: VariableFamily) -> ConstraintFamily:
    """Σ_products flow[link, product, period] ≤ capacity_t, for links shared by several
    products with a finite capacity (single-product links carry it as a column bound)."""
    return _shared_capacity(lp, flow, "link", "link_capacity", "tonnes entering a link in a period, all products (t)")


def storage_capacity(lp: LinearProgram, net: Network, stock: VariableFamily) -> ConstraintFamily:
    """Σ_products stock[node, product, period] ≤ capacity_t at nodes holding several
    products (one-product nodes carry it as a column bound)."""
    return _shared_capacity(lp, stock, "node", "storage_capacity", "stock at a node at the end of a period, all products (t)")


def _shared_capacity(lp: LinearProgram, fam: VariableFamily, key: str, name: str, meaning: str) -> ConstraintFamily:
    """One row per (key, period) summing the family over products, where several products
    share a finite capacity."""
    idx = fam.index
    shared = ((idx["n_products"] > 1) & np.isfinite(idx["capacity_t"].fillna(INF))).to_numpy()
    groups = idx[shared].groupby([key, "period"], sort=True)
    rows = groups.ngroup().to_numpy()
    index = groups["capacity_t"].first().reset_index()
    return lp.add_constraints(name, meaning, [key, "period"], index, rows, fam.cols[shared], np.ones(len(rows)), -INF, index["capacity_t"])


def safety_stock(lp: LinearProgram, stock: VariableFamily, shortfall: VariableFamily) -> ConstraintFamily:
    """stock[node, product, period] + safety_shortfall[…] ≥ safety_t where safety_t > 0."""
    keys = ["node", "product", "period"]
    where = shortfall.index[keys].merge(stock.index[keys].assign(_pos=np.arange(stock.size)), on=keys, how="left")["_pos"].to_numpy()
    n = shortfall.size
    rows = np.concatenate([np.arange(n), np.arange(n)])
    cols = np.concatenate([stock.cols[where], shortfall.cols])
    index = shortfall.index[keys + ["safety_t"]]
    return lp.add_constraints("safety_stock", "stock plus shortfall reaches the safety stock (t)", keys, index, rows, cols, np.ones(2 * n), index["safety_t"], INF)


def end_stock_target(lp: LinearProgram, stock: VariableFamily, end_shortfall: VariableFamily) -> ConstraintFamily:
    """stock[node, product, last period] + end_shortfall[…] ≥ end_target_t where the end
    target is soft: the end rule's deficit is its own figure, never unmet demand."""
    keys = ["node", "product", "period"]
    where = end_shortfall.index[keys].merge(stock.index[keys].assign(_pos=np.arange(stock.size)), on=keys, how="left")["_pos"].to_numpy(np.int64)
    n = end_shortfall.size
    rows = np.concatenate([np.arange(n), np.arange(n)])
    cols = np.concatenate([stock.cols[where], end_shortfall.cols])
    index = end_shortfall.index[keys + ["end_target_t"]]
    return lp.add_constraints("end_stock_target", "stock plus end shortfall reaches the end-of-horizon target (t)", keys, index, rows, cols, np.ones(2 * n), index["end_target_t"], INF)


def max_truck_share_tkm(lp: LinearProgram, flow: VariableFamily, opt: Options) -> ConstraintFamily | None:
    """Σ (truck − share) · distance_km · flow ≤ 0 over all links and periods, i.e. truck
    t·km ≤ share × all t·km (policy cap; off when the profile leaves it blank)."""
    share = opt.max_truck_share_tkm
    if share is None:
        return None
    fi = flow.index
    coefs = (fi["truck"].astype(float) - share) * fi["distance_km"]
    keep = (coefs != 0).to_numpy()
    index = pd.DataFrame({"share": [share]})
    return lp.add_constraints("max_truck_share_tkm", "truck t·km minus share × all t·km (t·km)", [], index, np.zeros(keep.sum()), flow.cols[keep], coefs[keep], -INF, 0.0)


def max_mine_truck_share(lp: LinearProgram, net: Network, production, flow, opt: Options) -> ConstraintFamily | None:
    """Σ flow on truck links leaving mines − share · Σ production ≤ 0 over the horizon:
    the clean-transport measure at mines (a mine is a node with supply rows)."""
    share = opt.max_mine_truck_share
    if share is None:
        return None
    fi = flow.index
    mines = set(net.supply["node"])
    from_mine = (fi["truck"] & fi["from"].isin(mines)).to_numpy()
    cols = np.concatenate([flow.cols[from_mine], production.cols])
    coefs = np.concatenate([np.ones(from_mine.sum()), np.full(production.size, -share)])
    index = pd.DataFrame({"share": [share]})
    return lp.add_constraints("max_mine_truck_share", "truck tonnes leaving mines minus share × output (t)", [], index, np.zeros(len(cols)), cols, coefs, -INF, 0.0)



# --------------------------------------------------------------------------- coal quality
def receipts(net: Network, flow: VariableFamily) -> pd.DataFrame:
    """Every flow column as a receipt at the node it enters, one row per column in flow order:
    ``col`` (LP column), ``node``, ``grade`` (the flow's product), ``product`` (what it counts
    as there: the product the grade ``serves`` where the node has demand for it, else the
    grade), ``period``, ``efficiency`` (t arriving per t entering) and ``coef``, its
    coefficient in ``node_balance``: efficiency, × calorific_kcal_per_kg / 7,000 where the
    demand it counts for is in tce (tonnes of standard coal). Without quality.csv ``product``
    is the grade and ``coef`` the efficiency."""
    fi = flow.index
    grade = fi["product"].reset_index(drop=True)
    efficiency = fi["efficiency"].to_numpy(float)
    out = pd.DataFrame({"col": flow.cols, "node": fi["to"].to_numpy(), "grade": grade, "product": grade,
                        "period": fi["period"].to_numpy(), "efficiency": efficiency, "coef": efficiency})
    if net.quality is None:
        return out
    q = net.quality.set_index("product")
    serves = grade.map(q["serves"])
    demanded = pd.MultiIndex.from_frame(net.demand[["node", "product"]].drop_duplicates())
    blended = (serves.notna() & (serves != grade)).to_numpy() & pd.MultiIndex.from_arrays([out["node"], serves.fillna("")]).isin(demanded)
    out["product"] = grade.where(~blended, serves)
    dq = net.demand_quality
    tce_keys = pd.MultiIndex.from_frame(dq.loc[dq["demand_unit"] == "tce", ["node", "product"]])
    tce = pd.MultiIndex.from_arrays([out["node"], out["product"]]).isin(tce_keys)
    # a grade without a calorific value cannot reach a tce demand (validation): its column stays 0
    factor = (grade.map(q["calorific_kcal_per_kg"]) / STANDARD_COAL_KCAL_PER_KG).fillna(1.0).to_numpy()
    out["coef"] = efficiency * np.where(tce, factor, 1.0)
    return out


def blend_calorific(lp: LinearProgram, net: Network, received: pd.DataFrame) -> ConstraintFamily | None:
    """Σ_receipts (calorific_kcal_per_kg[grade] − min_kcal_per_kg) · efficiency · flow / 7,000
    ≥ 0 at every demand centre, product and period whose demand has a ``min_kcal_per_kg``: the
    coal received in the period — its own product and the grades serving it, blended — has at
    least that calorific value (kcal/kg). Raw tonnes received, whatever the demand's unit; the
    row is in tce (the energy received above the floor, in tonnes of standard coal)."""
    # ÷ 7,000 keeps the coefficients (≈ 0.1) near the balance rows' (1): with (kcal/kg)·t rows
    # (≈ 500) HiGHS's warm and cold re-plans of Shanxi picked different equally cheap plans
    return _blend_rows(lp, net, received, "blend_calorific", "min_kcal_per_kg", "calorific_kcal_per_kg", at_least=True, per=STANDARD_COAL_KCAL_PER_KG,
                       meaning="coal received at a demand centre in a period, blended, reaches its least calorific value (tce above the floor)")


def blend_sulphur(lp: LinearProgram, net: Network, received: pd.DataFrame) -> ConstraintFamily | None:
    """Σ_receipts (sulphur_pct[grade] − max_sulphur_pct) · efficiency · flow ≤ 0 at every
    demand centre, product and period whose demand has a ``max_sulphur_pct``: the coal
    received in the period, blended, has at most that sulphur content (% by weight). Raw
    tonnes received; the row is in %·t."""
    return _blend_rows(lp, net, received, "blend_sulphur", "max_sulphur_pct", "sulphur_pct", at_least=False,
                       meaning="coal received at a demand centre in a period, blended, stays within its most sulphur (%·t)")


def _blend_rows(lp: LinearProgram, net: Network, received: pd.DataFrame, name: str, limit: str, quality: str, at_least: bool, meaning: str,
                per: float = 1.0) -> ConstraintFamily | None:
    """One row per (node, product, period) with receipts (:func:`receipts`) where the demand sets ``limit``:
    Σ (grade's ``quality`` − limit) · efficiency · flow / ``per``, ≥ 0 (``at_least``) or ≤ 0.
    None (no family at all) where no demand sets it, so a model without quality data is
    unchanged."""
    dq = net.demand_quality
    if net.quality is None or not dq[limit].notna().any():
        return None
    keys = ["node", "product", "period"]
    r = received.merge(dq.loc[dq[limit].notna(), ["node", "product", limit]], on=["node", "product"], how="inner")
    if r.empty:
        return None
    r = r.sort_values([*keys, "col"], kind="stable").reset_index(drop=True)
    # a grade without the value cannot reach this demand (validation): its coefficient is 0
    value = r["grade"].map(net.quality.set_index("product")[quality]).fillna(r[limit])
    coefs = ((value - r[limit]) * r["efficiency"]).to_numpy(float) / per
    groups = r.groupby(keys, sort=True)
    rows = groups.ngroup().to_numpy()
    index = groups[limit].first().reset_index()
    lower, upper = (0.0, INF) if at_least else (-INF, 0.0)
    return lp.add_constraints(name, meaning, keys, index, rows, r["col"].to_numpy(), coefs, lower, upper)
