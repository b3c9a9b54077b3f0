"""A producer sending again a file the warehouse already loaded: what the ingestion ledger of
every warehouse writer is tested against (tests/ingestion/, DuckDB and Postgres alike)."""

from orchestration.ingestion.landing import LandingFile, LandingStore


def resend(store: LandingStore, loaded: LandingFile, content: str) -> list[str]:
    """Drop `loaded`'s content again, under its own name (a producer re-sending) and then as a
    copy under another name. Returns the skip reasons the next ingestion must give, in the
    order it takes the files (by name: the copy's sorts first)."""
    stem, dot, extension = loaded.key.rpartition(".")
    store.write_bytes(loaded.key, content.encode())
    store.write_bytes(f"{stem} (copy){dot}{extension}", content.encode())
    return [f"same content as {loaded.url}", "already loaded"]
