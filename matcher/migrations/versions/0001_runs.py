"""Runs, their uploaded inputs, output files and pairs (the run store's first schema).

Revision ID: 0001
Revises:
Create Date: 2026-05-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("program", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("unmatched", sa.JSON(), nullable=True),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_index("ix_runs_program_created_at", "runs", ["program", "created_at"])
    op.create_table(
        "run_inputs",
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_run_inputs_run_id_runs"),
        sa.PrimaryKeyConstraint("run_id", "position", name="pk_run_inputs"),
    )
    op.create_table(
        "run_files",
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_run_files_run_id_runs"),
        sa.PrimaryKeyConstraint("run_id", "name", name="pk_run_files"),
    )
    op.create_table(
        "run_pairs",
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("program", sa.Text(), nullable=False),
        sa.Column("track", sa.Text(), nullable=False),
        sa.Column("a_id", sa.Text(), nullable=False),
        sa.Column("b_id", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_run_pairs_run_id_runs"),
        sa.PrimaryKeyConstraint("run_id", "position", name="pk_run_pairs"),
    )
    op.create_index("ix_run_pairs_program", "run_pairs", ["program"])


def downgrade() -> None:
    op.drop_index("ix_run_pairs_program", table_name="run_pairs")
    op.drop_table("run_pairs")
    op.drop_table("run_files")
    op.drop_table("run_inputs")
    op.drop_index("ix_runs_program_created_at", table_name="runs")
    op.drop_table("runs")
