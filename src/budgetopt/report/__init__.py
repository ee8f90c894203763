"""Tables, files and (later) figures for people: safe CSV, atomic writes, terminal tables."""
