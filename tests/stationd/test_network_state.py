"""The network's rows of the state store (schema version 5): revisions, their state, the current one."""

from __future__ import annotations

from pathlib import Path

from stationd.disk.network_state import NetworkLedger, RevisionUpdate
from stationd.disk.state import StateStore


def _update(
    revision: str, state: str, key: str | None = None, owner: str | None = "UK009M"
) -> RevisionUpdate:
    return RevisionUpdate("20260712_221506_b1c077", revision, "2026-07-12", ("UK009M", "UK00A4"),
                          ("UK009M/a", "UK00A4/b"), state, owner, 1, None, key)  # fmt: skip


def test_revisions_are_upserted_and_a_new_revision_becomes_current(tmp_path: Path) -> None:
    db = tmp_path / "state.sqlite3"
    StateStore(db).close()
    with NetworkLedger(db) as ledger:
        ledger.record([_update("aaaa", "claimed")], "2026-07-13T01:00:00.000000Z")
        ledger.record([_update("aaaa", "solved", "events/x/solution.json")], "2026-07-13T01:05:00.000000Z")
        ledger.record([_update("aaaa", "copied", None)], "2026-07-13T01:10:00.000000Z")
        (row,) = ledger.revisions("2026-07-12")
        assert (row.state, row.solution_key, row.current) == ("copied", "events/x/solution.json", True)
        assert row.first_seen_utc == "2026-07-13T01:00:00.000000Z"
        ledger.record([_update("bbbb", "grouped", owner=None)], "2026-07-13T02:00:00.000000Z")
        rows = ledger.revisions(event_id="20260712_221506_b1c077")
        assert [(r.revision, r.current) for r in rows] == [("bbbb", True), ("aaaa", False)]
        assert rows[0].to_json()["stations"] == ["UK009M", "UK00A4"]
    with NetworkLedger(db, read_only=True) as ledger:
        assert len(ledger.revisions()) == 2 and ledger.revisions("2026-07-13") == []
