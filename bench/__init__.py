"""`make bench`: the city-scale benchmark, a Django app installed only with BENCH_ENDPOINTS=1.

seed.py seeds a city of cases, measure.py measures each page and job next to its floor,
views.py + urls.py are the floors (an "ok" view, the queue rendered from memory),
management/commands/bench.py runs it all and prints the table; check.lua is wrk's script.
"""
