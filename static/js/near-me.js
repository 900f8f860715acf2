// "Sort by distance from me" on /runs/ (filled in by issue 13's near-me work).
