"""pyddb benchmarks: the engine against LMDB and SQLite (engine_bench), run outside the test suite."""
