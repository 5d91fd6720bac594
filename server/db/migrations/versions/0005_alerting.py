"""alerting: alert states, alert log, rule overrides, maintenance windows

Revision ID: 0005
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import vigil.server.db.base

revision = "0005"
down_revision = "0001"
branch_labels = ("alerting",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_states",
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("device", sa.String(length=128), nullable=False),
        sa.Column("rule", sa.String(length=80), nullable=False),
        sa.Column("instance", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("marks_down", sa.Boolean(), nullable=False),
        sa.Column("incident_open", sa.Boolean(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("root_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("updated_at", vigil.server.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_alert_states_customer_id_customers"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_alert_states_ticket_id_tickets"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("fingerprint", name=op.f("pk_alert_states")),
    )
    op.create_index(op.f("ix_alert_states_customer_id"), "alert_states", ["customer_id"])
    op.create_index(op.f("ix_alert_states_status"), "alert_states", ["status"])
    op.create_index(op.f("ix_alert_states_ticket_id"), "alert_states", ["ticket_id"])
    op.create_index(op.f("ix_alert_states_root_fingerprint"), "alert_states", ["root_fingerprint"])
    op.create_index("ix_alert_states_customer_device", "alert_states", ["customer_id", "device"])

    op.create_table(
        "alert_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("at", vigil.server.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("device", sa.String(length=128), nullable=False),
        sa.Column("rule", sa.String(length=80), nullable=False),
        sa.Column("instance", sa.String(length=256), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_alert_log_customer_id_customers"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_alert_log_ticket_id_tickets"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_log")),
    )
    op.create_index(op.f("ix_alert_log_customer_id"), "alert_log", ["customer_id"])
    op.create_index(op.f("ix_alert_log_fingerprint"), "alert_log", ["fingerprint"])
    op.create_index(op.f("ix_alert_log_at"), "alert_log", ["at"])

    op.create_table(
        "rule_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope_key", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.Column("updated_at", vigil.server.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_rule_overrides_customer_id_customers"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_rule_overrides_site_id_sites"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], name=op.f("fk_rule_overrides_device_id_devices"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_overrides")),
        sa.UniqueConstraint("scope_key", name=op.f("uq_rule_overrides_scope_key")),
    )
    op.create_index(op.f("ix_rule_overrides_customer_id"), "rule_overrides", ["customer_id"])

    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", vigil.server.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_maintenance_windows_customer_id_customers"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_windows")),
    )
    op.create_index(op.f("ix_maintenance_windows_customer_id"), "maintenance_windows", ["customer_id"])


def downgrade() -> None:
    op.drop_table("maintenance_windows")
    op.drop_table("rule_overrides")
    op.drop_table("alert_log")
    op.drop_table("alert_states")
