"""Passes of a plan: attempts and doors reached in each, for the dashboard.

The next pass of plan ``demo`` is plan ``demo-p2`` (``app.services.next_pass``), then
``demo-p3``; households keep their keys across passes, so a door's knocks add up. Each pass
counts its own results: ``attempts`` (every result recorded, a door knocked twice counts
twice), ``doors_knocked`` (doors with a result), ``doors_reached`` (doors where someone was
reached: a result that is a contact) and ``target_doors`` (the doors the pass planned).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import distinct, func, select

from app.services.next_pass import PASS_NAME
from app.store.engine import Database
from app.store.models import Plan, Result, Voter
from segments.door_results import CONTACT_CODES

PASS_NUMBER = re.compile(r"-p(\d+)$")


def pass_of(name: str) -> int:
    """The pass a plan name is: 1 for ``demo``, 2 for ``demo-p2``."""
    found = PASS_NUMBER.search(name)
    return int(found.group(1)) if found else 1


def pass_counts(db: Database, name: str) -> list[dict[str, Any]]:
    """Per pass of plan ``name``'s family (imported plans only), in pass order."""
    base = PASS_NAME.sub("", name)
    family = re.compile(rf"^{re.escape(base)}(-p\d+)?$")
    with db.reading() as session:
        plans = [
            (plan_id, plan_name)
            for plan_id, plan_name in session.execute(
                select(Plan.id, Plan.name).where(Plan.name.startswith(base, autoescape=True))
            ).all()
            if family.match(plan_name)
        ]
        rows = []
        for plan_id, plan_name in sorted(plans, key=lambda p: pass_of(p[1])):
            attempts, knocked = session.execute(
                select(func.count(Result.id), func.count(distinct(Result.household_id))).where(
                    Result.plan_id == plan_id
                )
            ).one()
            reached = session.execute(
                select(func.count(distinct(Result.household_id))).where(
                    Result.plan_id == plan_id, Result.code.in_(sorted(CONTACT_CODES))
                )
            ).scalar_one()
            doors = session.execute(
                select(func.count(distinct(Voter.household_id))).where(Voter.plan_id == plan_id)
            ).scalar_one()
            rows.append(
                {
                    "pass": pass_of(plan_name),
                    "plan": plan_name,
                    "target_doors": int(doors),
                    "attempts": int(attempts),
                    "doors_knocked": int(knocked),
                    "doors_reached": int(reached),
                }
            )
    return rows
