"""A solution -> planner tables, KPIs, warnings (no file writing, no HTML)."""
