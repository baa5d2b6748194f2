"""Storage: plans, turfs, routes, stops, households, voters, volunteer links and results.

SQLAlchemy 2 models (:mod:`app.store.models`) with Alembic migrations shipped in
``app/store/migrations`` and run at start-up; an embedded SQLite file
(``<workspace>/.canvass/canvass.db``) by default, PostgreSQL by URL (``--db`` or
``$DATABASE_URL``), see :mod:`app.store.engine`.

Create a volunteer link from Python (tests, scripts)::

    from app.store.links import create_volunteer_link

    token = create_volunteer_link(
        database,            # app.state.db of create_app(...), a Database, or a database URL
        "demo",              # plan name (its folder name; imported at create_app start-up)
        "P01-02",            # turf id
        fields=("name", "age", "party"),   # of name, age, party, support_score, turnout_score
        expires_in=timedelta(days=7),
        label="",            # who it is for (shown to organisers only)
    )  # -> the raw token; the page is /t/<token>

Signature: ``create_volunteer_link(database: Database | str, plan: str, turf_id: str, *,
fields: Sequence[str] = ("name", "age", "party"), expires_in: timedelta = timedelta(days=7),
label: str = "") -> str``.
"""
