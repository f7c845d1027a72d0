"""Each prediction's owner: the visitor who made it.

Existing rows keep NULL, the owner of anonymous API clients' items: only the
admin sees them.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    # A nullable column without a default: SQLite and PostgreSQL add it without rewriting the table.
    op.add_column("predictions", sa.Column("owner", sa.String(64), nullable=True))
    op.create_index("ix_predictions_owner_created_at", "predictions", ["owner", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_predictions_owner_created_at", "predictions")
    op.drop_column("predictions", "owner")
