"""audit_checkpoint: published heads of the audit chain (deleting the newest entries is detected)

Revision ID: b3e8f41c5a27
Revises: 7c41d2a9e0b3
Create Date: 2026-12-02 10:00:00

Existing chains have no checkpoint until the first `flask audit checkpoint` or daily tick.
"""
from alembic import op
import sqlalchemy as sa


revision = 'b3e8f41c5a27'
down_revision = '7c41d2a9e0b3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_checkpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False, comment="the certified entry: the chain's head when it was made"),
    sa.Column('hash', sa.String(length=64), nullable=False, comment="that entry's hash"),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False, comment="when (the entry's time)"),
    sa.Column('day', sa.Date(), nullable=False,
              comment='the day (Asia/Shanghai) it was made for; the tick makes one a day'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoint')),
    sa.UniqueConstraint('seq', name=op.f('uq_audit_checkpoint_seq'))
    )
    with op.batch_alter_table('audit_checkpoint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_checkpoint_day'), ['day'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_checkpoint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_checkpoint_day'))
    op.drop_table('audit_checkpoint')
