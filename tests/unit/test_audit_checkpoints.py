"""Audit checkpoints (issue #15 item 11): the hash chain proves order, the published checkpoints
prove length. Deleting the newest entries, rewriting them, or altering a checkpoint is named by
`audit verify`; verification can start from a checkpoint; the daily tick makes one a day."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text

from models import AuditCheckpoint, AuditEntry, db
from processes import audit


def _entries(n: int, action: str = "test.entry") -> int:
    """Append n entries (committed); return the newest seq."""
    for i in range(n):
        entry = audit.record(None, action, data={"i": i})
    db.session.commit()
    return entry.seq


def _checkpoint() -> AuditCheckpoint:
    checkpoint = audit.make_checkpoint()
    db.session.commit()
    return checkpoint


def _sql(statement: str, **params: object) -> None:
    db.session.execute(text(statement), params)
    db.session.commit()
    db.session.expire_all()


def _verify_cli(runner, *args: str):  # noqa: ANN001, ANN202
    return runner.invoke(args=["audit", "verify", *args])


def test_a_checkpoint_certifies_its_own_entry_which_covers_every_entry_before_it(app):
    before = _entries(4)
    checkpoint = _checkpoint()
    entry = db.session.get(AuditEntry, checkpoint.seq)
    assert checkpoint.seq == before + 1 and entry.action == "audit.checkpoint"
    assert checkpoint.hash == entry.hash and entry.prev_hash == db.session.get(AuditEntry, before).hash
    report = audit.verify_chain()
    assert report.ok and report.checked == before + 1 and report.heads_matched == 1


@pytest.mark.parametrize("deleted", [1, 2, 5])
def test_deleting_the_newest_entries_up_to_a_checkpoint_is_named(app, runner, deleted):
    """Before checkpoints, deleting the newest entries left a shorter chain that verified."""
    _entries(5)
    checkpoint = _checkpoint()
    _sql("DELETE FROM audit_entry WHERE seq > :keep", keep=checkpoint.seq - deleted)
    first_missing = checkpoint.seq - deleted + 1
    report = audit.verify_chain()
    assert not report.ok and report.first_broken_seq == first_missing
    gap = (f"entry {first_missing} is missing" if deleted == 1
           else f"entries {first_missing}–{checkpoint.seq} are missing")
    assert gap in report.problem and f"checkpoint #{checkpoint.id}" in report.problem
    result = _verify_cli(runner)
    assert result.exit_code == 1 and f"BROKEN at entry seq {first_missing}" in result.output and gap in result.output


def test_deleted_entries_written_again_do_not_match_the_checkpoint(app, runner):
    """Delete the newest entries and let the platform append after what is left: the chain links, but
    the entry at the checkpoint's seq is not the one certified."""
    _entries(5)
    checkpoint = _checkpoint()
    _sql("DELETE FROM audit_entry WHERE seq > 3")
    _entries(6, "test.rewritten")
    report = audit.verify_chain()
    assert not report.ok and report.first_broken_seq == checkpoint.seq
    assert "differs from the one certified by checkpoint" in report.problem
    assert _verify_cli(runner).exit_code == 1


def test_a_gap_before_a_checkpoint_names_the_missing_entries(app):
    _entries(5)
    _checkpoint()
    _entries(2)
    _sql("DELETE FROM audit_entry WHERE seq IN (3, 4)")
    report = audit.verify_chain()
    assert not report.ok and report.first_broken_seq == 5 and "entries 3–4 are missing" in report.problem


def test_a_missing_certified_entry_is_named_with_its_checkpoint(app):
    _entries(5)
    checkpoint = _checkpoint()
    _entries(2)
    _sql("DELETE FROM audit_entry WHERE seq = :seq", seq=checkpoint.seq)
    report = audit.verify_chain()
    assert not report.ok and report.first_broken_seq == checkpoint.seq
    assert f"entry {checkpoint.seq} is missing" in report.problem and f"checkpoint #{checkpoint.id}" in report.problem


@pytest.mark.parametrize("column, value", [("hash", "f" * 64), ("hash", "0" * 64), ("seq", 2)])
def test_a_tampered_checkpoint_is_named(app, runner, column, value):
    _entries(3)
    checkpoint = _checkpoint()
    _entries(2)
    _sql(f"UPDATE audit_checkpoint SET {column} = :value WHERE id = :id", value=value, id=checkpoint.id)  # noqa: S608
    report = audit.verify_chain()
    named = value if column == "seq" else checkpoint.seq
    assert not report.ok and report.first_broken_seq == named, report
    result = _verify_cli(runner)
    assert result.exit_code == 1 and f"seq {named}" in result.output


def test_a_deleted_checkpoint_is_named_by_its_entry(app):
    _entries(2)
    seq = _checkpoint().seq
    _sql("DELETE FROM audit_checkpoint")
    report = audit.verify_chain()
    assert not report.ok and report.first_broken_seq == seq
    assert "no longer published" in report.problem


def test_incremental_verification_starts_at_the_checkpoint(app, runner):
    _entries(4)
    first = _checkpoint()
    _entries(3)
    newest = _checkpoint()
    after = _entries(2)
    report = audit.verify_chain(since=newest)
    assert report.ok and report.since_seq == newest.seq and report.checked == after - newest.seq + 1
    result = _verify_cli(runner, "--since-checkpoint")
    assert result.exit_code == 0 and f"from checkpoint #{newest.id}" in result.output, result.output
    assert _verify_cli(runner, "--since-checkpoint", str(first.id)).exit_code == 0

    _sql("UPDATE audit_entry SET reason = 'rewritten' WHERE seq = 2")  # before both checkpoints
    assert audit.verify_chain().first_broken_seq == 2, "the full verification still reads everything"
    assert audit.verify_chain(since=newest).ok, "what came before the checkpoint is trusted"
    _sql("UPDATE audit_entry SET reason = 'rewritten' WHERE seq = :seq", seq=first.seq + 2)  # between them
    assert audit.verify_chain(since=first).first_broken_seq == first.seq + 2
    assert audit.verify_chain(since=newest).ok
    _sql("UPDATE audit_entry SET reason = 'rewritten' WHERE seq = :seq", seq=after)  # after the newest
    result = _verify_cli(runner, "--since-checkpoint")
    assert result.exit_code == 1 and f"seq {after}" in result.output


def test_incremental_verification_names_a_missing_or_altered_start(app, runner):
    _entries(3)
    checkpoint = _checkpoint()
    _entries(1)
    _sql("UPDATE audit_checkpoint SET hash = :h WHERE id = :id", h="a" * 64, id=checkpoint.id)
    report = audit.verify_chain(since=db.session.get(AuditCheckpoint, checkpoint.id))
    assert not report.ok and report.first_broken_seq == checkpoint.seq and "differs" in report.problem
    _sql("DELETE FROM audit_entry WHERE seq >= :seq", seq=checkpoint.seq)
    result = _verify_cli(runner, "--since-checkpoint")
    assert result.exit_code == 1 and f"entry {checkpoint.seq} is missing" in result.output


def test_incremental_verification_needs_a_checkpoint(app, runner):
    _entries(2)
    result = _verify_cli(runner, "--since-checkpoint")
    assert result.exit_code == 2 and "no checkpoint was made yet" in result.output
    _checkpoint()
    for unknown in ("99", "0x1", "-1"):
        assert _verify_cli(runner, "--since-checkpoint", unknown).exit_code == 2


def test_a_kept_copy_finds_a_chain_rewritten_with_its_checkpoints(app, client, runner, tmp_path):
    """Someone with write access deletes the newest entries and the checkpoint, then the platform
    carries on and checkpoints again: the database agrees with itself, only a kept copy can tell."""
    _entries(4)
    _checkpoint()
    copy = tmp_path / "checkpoints.json"
    copy.write_text(client.get("/api/v1/public/audit/checkpoints").get_data(as_text=True), encoding="utf-8")
    _sql("DELETE FROM audit_checkpoint")
    _sql("DELETE FROM audit_entry WHERE seq > 3")
    _entries(3)
    _checkpoint()
    assert audit.verify_chain().ok
    result = _verify_cli(runner, "--against", str(copy))
    assert result.exit_code == 1 and "BROKEN at entry seq 5" in result.output
    assert "the copy" in result.output and "item 1" in result.output


def test_a_kept_copy_that_matches_is_counted(app, client, runner, tmp_path):
    _entries(2)
    _checkpoint()
    _checkpoint()
    copy = tmp_path / "checkpoints.json"
    copy.write_text(client.get("/api/v1/public/audit/checkpoints").get_data(as_text=True), encoding="utf-8")
    _entries(1)
    result = _verify_cli(runner, "--against", str(copy))
    assert result.exit_code == 0 and "4 checkpoint(s) and kept copies match" in result.output, result.output


@pytest.mark.parametrize("content", [
    "not json", "{}", '{"items": [{"seq": "5", "hash": "' + "a" * 64 + '"}]}', '[{"seq": 0, "hash": "ab"}]',
    '{"items": [{"seq": 5}]}', '[1, 2]', '{"items": [{"seq": true, "hash": "' + "a" * 64 + '"}]}',
])
def test_a_copy_that_is_not_a_copy_is_refused(app, runner, tmp_path, content):
    _entries(1)
    copy = tmp_path / "copy.json"
    copy.write_text(content, encoding="utf-8")
    result = _verify_cli(runner, "--against", str(copy))
    assert result.exit_code == 2 and "--against" in result.output, result.output


def _checkpoint_count() -> int:
    return db.session.execute(select(func.count()).select_from(AuditCheckpoint)).scalar_one()


def test_the_daily_tick_makes_one_checkpoint_a_day(app, runner):
    _entries(2)
    for now in ("2027-06-01T00:00+08:00", "2027-06-01T09:00+08:00", "2027-06-01T15:59Z"):  # one day in Jining
        result = runner.invoke(args=["deadlines", "tick", "--now", now])
        assert result.exit_code == 0, result.output
    assert _checkpoint_count() == 1
    assert "published already" in result.output
    checkpoint = db.session.execute(select(AuditCheckpoint)).scalar_one()
    assert checkpoint.day.isoformat() == "2027-06-01"
    result = runner.invoke(args=["deadlines", "tick", "--now", "2027-06-01T16:00Z"])  # 00:00 on 2 June in Jining
    assert result.exit_code == 0 and "Audit checkpoint #" in result.output
    assert [c.day.isoformat() for c in db.session.execute(audit.checkpoints_query()).scalars()] == [
        "2027-06-01", "2027-06-02"]
    assert audit.verify_chain().ok


def test_a_checkpoint_by_hand_counts_for_the_day_but_more_can_be_made_by_hand(app, runner):
    _entries(1)
    result = runner.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0 and "Checkpoint #" in result.output
    assert audit.make_checkpoint(daily=True) is None
    assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 0
    assert _checkpoint_count() == 2
    entries = db.session.execute(select(AuditEntry).where(AuditEntry.action == "audit.checkpoint")).scalars().all()
    assert [e.detail["trigger"] for e in entries] == ["manual", "manual"]
    assert audit.verify_chain().heads_matched == 2


def test_copies_of_the_json_parse_as_heads(app, client):
    _entries(1)
    checkpoint = _checkpoint()
    body = json.loads(client.get("/api/v1/public/audit/checkpoints").get_data(as_text=True))
    for data in (body, body["items"]):
        [head] = audit.heads_from_copy(data, "copy.json")
        assert (head.seq, head.hash) == (checkpoint.seq, checkpoint.hash)
