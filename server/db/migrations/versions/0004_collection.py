"""collection: SSH host keys, collection events, discovery requests and proposals

Revision ID: 0004
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
import vigil.server.db.base
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = ("collection",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ssh_host_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("key_type", sa.String(length=64), nullable=False),
        sa.Column("key_base64", sa.String(length=4096), nullable=False),
        sa.Column("fingerprint_sha256", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reported_as", sa.String(length=16), nullable=False),
        sa.Column("first_seen_at", vigil.server.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", vigil.server.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", vigil.server.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_ssh_host_keys_customer_id_customers"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], name=op.f("fk_ssh_host_keys_device_id_devices"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ssh_host_keys")),
        sa.UniqueConstraint("device_id", "key_type", "key_base64",
                            name=op.f("uq_ssh_host_keys_device_id_key_type_key_base64")),
    )
    op.create_index(op.f("ix_ssh_host_keys_customer_id"), "ssh_host_keys", ["customer_id"])
    op.create_index(op.f("ix_ssh_host_keys_device_id"), "ssh_host_keys", ["device_id"])
    op.create_table(
        "collection_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("node_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.String(length=512), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", vigil.server.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("handled_at", vigil.server.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_collection_events_customer_id_customers"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], name=op.f("fk_collection_events_device_id_devices"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["node_id"], ["nodes.id"], name=op.f("fk_collection_events_node_id_nodes"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_events")),
    )
    op.create_index(op.f("ix_collection_events_customer_id"), "collection_events", ["customer_id"])
    op.create_index(op.f("ix_collection_events_device_id"), "collection_events", ["device_id"])
    op.create_table(
        "discovery_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("sys_name", sa.String(length=256), nullable=False),
        sa.Column("sys_descr", sa.Text(), nullable=False),
        sa.Column("sys_object_id", sa.String(length=256), nullable=False),
        sa.Column("vendor", sa.String(length=128), nullable=False),
        sa.Column("profile", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=256), nullable=False),
        sa.Column("serial", sa.String(length=256), nullable=False),
        sa.Column("interfaces_count", sa.Integer(), nullable=False),
        sa.Column("snmp_secret", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("created_at", vigil.server.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", vigil.server.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_discovery_proposals_customer_id_customers"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_discovery_proposals_site_id_sites"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["node_id"], ["nodes.id"], name=op.f("fk_discovery_proposals_node_id_nodes"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], name=op.f("fk_discovery_proposals_device_id_devices"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discovery_proposals")),
    )
    op.create_index(op.f("ix_discovery_proposals_customer_id"), "discovery_proposals", ["customer_id"])
    op.create_index(op.f("ix_discovery_proposals_site_id"), "discovery_proposals", ["site_id"])
    op.create_table(
        "discovery_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("address_range", sa.String(length=128), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("snmp_secrets", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("found_count", sa.Integer(), nullable=False),
        sa.Column("created_at", vigil.server.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", vigil.server.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_discovery_requests_customer_id_customers"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["node_id"], ["nodes.id"], name=op.f("fk_discovery_requests_node_id_nodes"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discovery_requests")),
    )
    op.create_index(op.f("ix_discovery_requests_customer_id"), "discovery_requests", ["customer_id"])
    op.create_index(op.f("ix_discovery_requests_node_id"), "discovery_requests", ["node_id"])


def downgrade() -> None:
    op.drop_table("discovery_requests")
    op.drop_table("discovery_proposals")
    op.drop_table("collection_events")
    op.drop_table("ssh_host_keys")
