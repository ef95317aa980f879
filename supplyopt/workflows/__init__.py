"""Compare, screen, sweep, invest, frontier, bottlenecks, schedule, roll: each on supplyopt.study."""
