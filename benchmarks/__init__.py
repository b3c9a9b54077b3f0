"""Performance benchmarks: synthetic dbt projects run bare and through the product's real path."""
