"""Stranded power: hourly spare grid capacity below the seasonal planning peak per BA, and the
headroom table (the constant load a BA can take at a curtailment limit)."""
