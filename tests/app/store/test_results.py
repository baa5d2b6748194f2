"""Result posts through a link: checked on every post, turf households cached per import,
concurrent posts committed together and each stored exactly once."""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Connection, create_engine, func, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from app.store.engine import Database, utcnow
from app.store.group_commit import GroupCommit
from app.store.keys import household_key
from app.store.links import (
    LinkGoneError,
    LinkNotFoundError,
    create_volunteer_link,
    hash_token,
    resolve_link,
    revoke_link,
)
from app.store.models import Result, VolunteerLink
from app.store.plans import import_plan
from app.store.results import NewResult, ResultRejectedError, post_results, turf_households


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.migrate()
    yield database
    database.dispose()


def _result(household: str) -> NewResult:
    return NewResult(
        client_id=str(uuid.uuid4()), household_id=household, code="not_home", recorded_at=utcnow()
    )


def _households(db: Database, token: str) -> list[str]:
    link = resolve_link(db, token)
    return sorted(turf_households(db, link.plan_id, link.turf_code))


def _count(db: Database) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(Result)) or 0)


def test_a_revoked_or_expired_link_is_refused_on_its_next_post(
    db: Database, workspace: Path
) -> None:
    import_plan(db, workspace / "demo")
    turf = sorted(p.stem for p in (workspace / "demo" / "walklists").glob("*.csv"))[0]
    token = create_volunteer_link(db, "demo", turf)
    household = _households(db, token)[0]
    first = _result(household)
    assert post_results(db, token, [first]) == ([first.client_id], [])
    assert revoke_link(db, resolve_link(db, token).id)
    with pytest.raises(LinkGoneError, match="revoked"):
        post_results(db, token, [_result(household)])

    expiring = create_volunteer_link(db, "demo", turf)
    assert post_results(db, expiring, [_result(household)])[0]
    with db.writing() as session:
        session.execute(
            update(VolunteerLink)
            .where(VolunteerLink.token_hash == hash_token(expiring))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    with pytest.raises(LinkGoneError, match="expired"):
        post_results(db, expiring, [_result(household)])
    with pytest.raises(LinkNotFoundError):
        post_results(db, "no-such-token", [_result(household)])
    # A refusal stores nothing, and the rate limit is asked only for a valid link.
    asked: list[int] = []
    with pytest.raises(LinkGoneError):
        post_results(db, token, [_result(household)], admit=asked.append)
    assert asked == []


def test_a_reimport_by_another_process_is_seen_on_the_next_post(
    db: Database, database_url: str, workspace: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "recut"
    shutil.copytree(workspace / "demo", folder)
    import_plan(db, folder)
    turfs = sorted(p.stem for p in (folder / "walklists").glob("*.csv"))
    source, target = turfs[0], turfs[1]
    source_token = create_volunteer_link(db, "recut", source)
    target_token = create_volunteer_link(db, "recut", target)
    walk = pd.read_csv(folder / "walklists" / f"{source}.csv", dtype=str, keep_default_na=False)
    first_stop = walk["stop_id"].iloc[0]
    moved = walk[walk["stop_id"] == first_stop]
    key = household_key(moved["address"].iloc[0], moved["unit"].iloc[0])
    # The source turf's households are cached by this post ...
    assert post_results(db, source_token, [_result(key)])[0]
    with pytest.raises(ResultRejectedError):
        post_results(db, target_token, [_result(key)])

    # ... then another process re-cuts: the first stop moves to the target turf.
    stops = pd.read_csv(folder / "stops.csv", dtype=str, keep_default_na=False)
    stops.loc[stops["stop_id"] == first_stop, "turf"] = target
    stops.to_csv(folder / "stops.csv", index=False)
    walk[walk["stop_id"] != first_stop].to_csv(folder / "walklists" / f"{source}.csv", index=False)
    other = pd.read_csv(folder / "walklists" / f"{target}.csv", dtype=str, keep_default_na=False)
    pd.concat([other, moved.assign(turf=target)]).to_csv(
        folder / "walklists" / f"{target}.csv", index=False
    )
    elsewhere = Database(database_url)
    try:
        assert import_plan(elsewhere, folder).imported
    finally:
        elsewhere.dispose()

    with pytest.raises(ResultRejectedError, match="is not a household of this link's turf"):
        post_results(db, source_token, [_result(key)])
    assert post_results(db, target_token, [_result(key)])[0]


def test_concurrent_posts_and_retries_are_stored_exactly_once(
    db: Database, workspace: Path
) -> None:
    import_plan(db, workspace / "demo")
    turfs = sorted(p.stem for p in (workspace / "demo" / "walklists").glob("*.csv"))
    tokens = [create_volunteer_link(db, "demo", turfs[i % len(turfs)]) for i in range(8)]
    households = {token: _households(db, token) for token in tokens}
    before = _count(db)
    posts = []
    for i in range(200):
        token = tokens[i % len(tokens)]
        item = _result(households[token][i % len(households[token])])
        posts += [(token, [item])] * (2 if i % 5 == 0 else 1)  # some sent twice (a retry)
    # Some posts are refused (a household of another turf): the rest of their group is stored.
    refused = [(tokens[0], [_result(households[tokens[1]][0])]) for _ in range(10)]

    def send(post: tuple[str, list[NewResult]]) -> tuple[list[str], list[str]] | None:
        try:
            return post_results(db, *post)
        except ResultRejectedError:
            return None

    with ThreadPoolExecutor(max_workers=32) as pool:
        answers = list(pool.map(send, posts + refused))
    assert answers[len(posts) :] == [None] * len(refused)
    stored = [cid for answer in answers[: len(posts)] if answer for cid in answer[0]]
    duplicates = [cid for answer in answers[: len(posts)] if answer for cid in answer[1]]
    assert len(stored) == len(set(stored)) == 200
    assert len(duplicates) == 40 and set(duplicates) <= set(stored)
    assert _count(db) - before == 200


def _group_and_table(tmp_path: Path) -> tuple[GroupCommit, Callable[[], list[int]]]:
    engine = create_engine(f"sqlite:///{tmp_path / 'group.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER PRIMARY KEY)"))

    def stored() -> list[int]:
        with engine.connect() as connection:
            return list(connection.scalars(text("SELECT x FROM t ORDER BY x")))

    return GroupCommit(engine.begin), stored


def test_a_database_error_in_a_group_costs_the_others_nothing(tmp_path: Path) -> None:
    group, stored = _group_and_table(tmp_path)
    release = threading.Event()

    def first(connection: Connection) -> str:
        release.wait(timeout=30)  # the others queue behind this one: they form the next group
        connection.execute(text("INSERT INTO t VALUES (0)"))
        return "first"

    def insert(x: int) -> Callable[[Connection], int]:
        def work(connection: Connection) -> int:
            if x == 3:
                connection.execute(text("INSERT INTO no_such_table VALUES (1)"))
            if x == 5:
                raise ValueError("refused before writing")
            connection.execute(text("INSERT INTO t VALUES (:x)"), {"x": x})
            return x

        return work

    with ThreadPoolExecutor(max_workers=8) as pool:
        leader = pool.submit(group.run, first)
        while not group._leading:
            time.sleep(0.01)
        futures = {x: pool.submit(group.run, insert(x)) for x in range(1, 8)}
        while len(group._queue) < 7:
            time.sleep(0.01)
        release.set()
        assert leader.result(timeout=30) == "first"
        with pytest.raises(SQLAlchemyError, match="no_such_table"):
            futures[3].result(timeout=30)
        with pytest.raises(ValueError, match="refused"):
            futures[5].result(timeout=30)
        assert [futures[x].result(timeout=30) for x in (1, 2, 4, 6, 7)] == [1, 2, 4, 6, 7]
    assert stored() == [0, 1, 2, 4, 6, 7]


def test_nothing_is_answered_before_its_group_commits(tmp_path: Path) -> None:
    group, stored = _group_and_table(tmp_path)
    seen: list[tuple[int, list[int]]] = []

    def work(x: int) -> Callable[[Connection], int]:
        def insert(connection: Connection) -> int:
            connection.execute(text("INSERT INTO t VALUES (:x)"), {"x": x})
            return x

        return insert

    def post(x: int) -> None:
        group.run(work(x))
        seen.append((x, stored()))  # committed: another connection sees it

    threads = [threading.Thread(target=post, args=(x,)) for x in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert stored() == list(range(20))
    assert len(seen) == 20 and all(x in after for x, after in seen)
