"""Report pages of the other result folders: compare, sweep, screen, evaluate, invest, frontier, schedule, roll."""
