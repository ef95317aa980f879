"""HTML, workbook, charts, maps and the terminal summary, from result folders and plans."""
