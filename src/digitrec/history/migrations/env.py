"""Alembic's entry point: runs the migrations on the connection that `migrate.upgrade` hands it.

That connection is already in a transaction holding the schema lock, so
Alembic runs inside it and opens none of its own.
"""

from alembic import context

from digitrec.history._schema import Base

context.configure(connection=context.config.attributes["connection"], target_metadata=Base.metadata)
with context.begin_transaction():
    context.run_migrations()
