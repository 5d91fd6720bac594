"""desk: SLA side tables, pauses, reminders, staff and on-call, spare parts, outbox, mail, surveys

Revision ID: 0003
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
import vigil.server.db.base
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = ("desk",)
depends_on = None


def upgrade() -> None:
    op.create_table('desk_staff',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('tier', sa.Integer(), nullable=False),
    sa.Column('skills', sa.JSON(), nullable=False),
    sa.Column('team_lead_id', sa.Integer(), nullable=True),
    sa.Column('manager_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['manager_id'], ['users.id'], name=op.f('fk_desk_staff_manager_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_lead_id'], ['users.id'], name=op.f('fk_desk_staff_team_lead_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_desk_staff_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_desk_staff'))
    )
    op.create_table('oncall_shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('tier', sa.Integer(), nullable=False),
    sa.Column('starts_at', vigil.server.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', vigil.server.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_oncall_shifts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oncall_shifts'))
    )
    op.create_index(op.f('ix_oncall_shifts_starts_at'), 'oncall_shifts', ['starts_at'], unique=False)
    op.create_index(op.f('ix_oncall_shifts_user_id'), 'oncall_shifts', ['user_id'], unique=False)
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=64), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=True),
    sa.Column('subject', sa.String(length=400), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', vigil.server.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('lease_until', vigil.server.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('lease_owner', sa.String(length=64), nullable=True),
    sa.Column('last_detail', sa.Text(), nullable=True),
    sa.Column('created_at', vigil.server.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', vigil.server.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_outbox_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_outbox_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_outbox_idempotency_key'))
    )
    op.create_index(op.f('ix_outbox_customer_id'), 'outbox', ['customer_id'], unique=False)
    op.create_index(op.f('ix_outbox_next_attempt_at'), 'outbox', ['next_attempt_at'], unique=False)
    op.create_index(op.f('ix_outbox_status'), 'outbox', ['status'], unique=False)
    op.create_index(op.f('ix_outbox_ticket_id'), 'outbox', ['ticket_id'], unique=False)
    op.create_table('spare_parts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('part', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('requested_at', vigil.server.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('promised_at', vigil.server.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('shipped_at', vigil.server.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', vigil.server.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('late_flagged_at', vigil.server.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_spare_parts_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_spare_parts_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spare_parts'))
    )
    op.create_index(op.f('ix_spare_parts_customer_id'), 'spare_parts', ['customer_id'], unique=False)
    op.create_index(op.f('ix_spare_parts_ticket_id'), 'spare_parts', ['ticket_id'], unique=False)
    op.create_table('surveys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('engineer_id', sa.Integer(), nullable=True),
    sa.Column('token_hash', sa.String(length=128), nullable=False),
    sa.Column('expires_at', vigil.server.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('answered_at', vigil.server.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=True),
    sa.Column('score_overall', sa.Integer(), nullable=True),
    sa.Column('score_speed', sa.Integer(), nullable=True),
    sa.Column('score_quality', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('created_at', vigil.server.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_surveys_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['engineer_id'], ['users.id'], name=op.f('fk_surveys_engineer_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_surveys_recorded_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_surveys_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_surveys_ticket_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_surveys_token_hash'))
    )
    op.create_index(op.f('ix_surveys_customer_id'), 'surveys', ['customer_id'], unique=False)
    op.create_index(op.f('ix_surveys_engineer_id'), 'surveys', ['engineer_id'], unique=False)
    op.create_table('ticket_desk',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('tier', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('urgency', sa.String(length=8), nullable=True),
    sa.Column('impact', sa.String(length=8), nullable=True),
    sa.Column('skill', sa.String(length=64), nullable=True),
    sa.Column('responded_at', vigil.server.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('response_due_at', vigil.server.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('resolution_due_at', vigil.server.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('vendor_name', sa.String(length=128), nullable=True),
    sa.Column('vendor_case_number', sa.String(length=128), nullable=True),
    sa.Column('vendor_deadline', vigil.server.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('reporter_name', sa.String(length=200), nullable=True),
    sa.Column('reporter_email', sa.String(length=254), nullable=True),
    sa.Column('reporter_phone', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_ticket_desk_contract_id_contracts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_ticket_desk_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_desk_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_ticket_desk'))
    )
    op.create_index(op.f('ix_ticket_desk_customer_id'), 'ticket_desk', ['customer_id'], unique=False)
    op.create_index(op.f('ix_ticket_desk_resolution_due_at'), 'ticket_desk', ['resolution_due_at'], unique=False)
    op.create_index(op.f('ix_ticket_desk_response_due_at'), 'ticket_desk', ['response_due_at'], unique=False)
    op.create_table('ticket_mail',
    sa.Column('message_id', sa.String(length=400), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('created_at', vigil.server.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_mail_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('message_id', name=op.f('pk_ticket_mail'))
    )
    op.create_index(op.f('ix_ticket_mail_ticket_id'), 'ticket_mail', ['ticket_id'], unique=False)
    op.create_table('ticket_pauses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('started_at', vigil.server.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', vigil.server.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_pauses_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_pauses'))
    )
    op.create_index(op.f('ix_ticket_pauses_ticket_id'), 'ticket_pauses', ['ticket_id'], unique=False)
    op.create_table('ticket_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('clock', sa.String(length=16), nullable=False),
    sa.Column('share_percent', sa.Integer(), nullable=False),
    sa.Column('due_at', vigil.server.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('fired_at', vigil.server.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_reminders_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_reminders')),
    sa.UniqueConstraint('ticket_id', 'clock', 'share_percent', name=op.f('uq_ticket_reminders_ticket_id'))
    )
    op.create_index(op.f('ix_ticket_reminders_ticket_id'), 'ticket_reminders', ['ticket_id'], unique=False)



def downgrade() -> None:
    op.drop_index(op.f('ix_ticket_reminders_ticket_id'), table_name='ticket_reminders')
    op.drop_table('ticket_reminders')
    op.drop_index(op.f('ix_ticket_pauses_ticket_id'), table_name='ticket_pauses')
    op.drop_table('ticket_pauses')
    op.drop_index(op.f('ix_ticket_mail_ticket_id'), table_name='ticket_mail')
    op.drop_table('ticket_mail')
    op.drop_index(op.f('ix_ticket_desk_response_due_at'), table_name='ticket_desk')
    op.drop_index(op.f('ix_ticket_desk_resolution_due_at'), table_name='ticket_desk')
    op.drop_index(op.f('ix_ticket_desk_customer_id'), table_name='ticket_desk')
    op.drop_table('ticket_desk')
    op.drop_index(op.f('ix_surveys_engineer_id'), table_name='surveys')
    op.drop_index(op.f('ix_surveys_customer_id'), table_name='surveys')
    op.drop_table('surveys')
    op.drop_index(op.f('ix_spare_parts_ticket_id'), table_name='spare_parts')
    op.drop_index(op.f('ix_spare_parts_customer_id'), table_name='spare_parts')
    op.drop_table('spare_parts')
    op.drop_index(op.f('ix_outbox_ticket_id'), table_name='outbox')
    op.drop_index(op.f('ix_outbox_status'), table_name='outbox')
    op.drop_index(op.f('ix_outbox_next_attempt_at'), table_name='outbox')
    op.drop_index(op.f('ix_outbox_customer_id'), table_name='outbox')
    op.drop_table('outbox')
    op.drop_index(op.f('ix_oncall_shifts_user_id'), table_name='oncall_shifts')
    op.drop_index(op.f('ix_oncall_shifts_starts_at'), table_name='oncall_shifts')
    op.drop_table('oncall_shifts')
    op.drop_table('desk_staff')

