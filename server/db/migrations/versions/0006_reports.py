"""reports: reports, their archived versions, checklist templates, inspections

Revision ID: 0006
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
import vigil.server.db.base
from alembic import op

revision = "0006"
down_revision = "0001"
branch_labels = ("reports",)
depends_on = None

_TIME = vigil.server.db.base.UtcDateTime(timezone=True)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("period_kind", sa.String(length=8), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("recommendations", sa.JSON(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("generated_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.Column("approved_at", _TIME, nullable=True),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        _fk("reports", "customer_id", "customers", "CASCADE"),
        _fk("reports", "approved_by", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("customer_id", "period_kind", "period", name=op.f("uq_reports_customer_id")),
    )
    op.create_index(op.f("ix_reports_customer_id"), "reports", ["customer_id"])
    op.create_index(op.f("ix_reports_status"), "reports", ["status"])
    op.create_table(
        "report_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        _fk("report_versions", "report_id", "reports", "CASCADE"),
        _fk("report_versions", "customer_id", "customers", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_versions")),
        sa.UniqueConstraint("report_id", "version", name=op.f("uq_report_versions_report_id")),
    )
    op.create_index(op.f("ix_report_versions_report_id"), "report_versions", ["report_id"])
    op.create_index(op.f("ix_report_versions_customer_id"), "report_versions", ["customer_id"])
    op.create_table(
        "checklist_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_kind", sa.String(length=32), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_templates")),
        sa.UniqueConstraint("device_kind", name=op.f("uq_checklist_templates_device_kind")),
    )
    op.create_table(
        "inspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("engineer_id", sa.Integer(), nullable=True),
        sa.Column("engineer_name", sa.String(length=200), nullable=False),
        sa.Column("performed_at", _TIME, nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        _fk("inspections", "customer_id", "customers", "CASCADE"),
        _fk("inspections", "device_id", "devices", "CASCADE"),
        _fk("inspections", "engineer_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspections")),
        sa.UniqueConstraint("device_id", "period", name=op.f("uq_inspections_device_id")),
    )
    op.create_index(op.f("ix_inspections_customer_id"), "inspections", ["customer_id"])
    op.create_index(op.f("ix_inspections_device_id"), "inspections", ["device_id"])
    op.create_table(
        "inspection_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("photo", sa.LargeBinary(), nullable=True),
        sa.Column("photo_type", sa.String(length=32), nullable=True),
        _fk("inspection_items", "inspection_id", "inspections", "CASCADE"),
        _fk("inspection_items", "customer_id", "customers", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_items")),
        sa.UniqueConstraint("inspection_id", "key", name=op.f("uq_inspection_items_inspection_id")),
    )
    op.create_index(op.f("ix_inspection_items_inspection_id"), "inspection_items", ["inspection_id"])
    op.create_index(op.f("ix_inspection_items_customer_id"), "inspection_items", ["customer_id"])


def downgrade() -> None:
    op.drop_table("inspection_items")
    op.drop_table("inspections")
    op.drop_table("checklist_templates")
    op.drop_table("report_versions")
    op.drop_table("reports")
