"""Drafts: the version staff get is the published one, not the newest save.

`bots.published_version` names the version a published bot serves (None while unpublished); `current_version`
stays the newest save (the lead's draft). A bot published before this migration serves what it served then.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_BOTS = sa.table("bots", sa.column("published", sa.Boolean), sa.column("current_version", sa.Integer),
                 sa.column("published_version", sa.Integer))


def upgrade() -> None:
    op.add_column("bots", sa.Column("published_version", sa.Integer, nullable=True))
    op.execute(_BOTS.update().where(_BOTS.c.published == sa.true())
               .values(published_version=_BOTS.c.current_version))


def downgrade() -> None:
    # Without the column every save reaches staff again: the newest version is what a published bot serves.
    with op.batch_alter_table("bots") as batch:
        batch.drop_column("published_version")
