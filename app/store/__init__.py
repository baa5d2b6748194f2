"""Storage: plans, turfs, households, voters, volunteer links and results in a database."""
