"""sign_in_failure: wrong passwords per username and client address (issue #17)

Revision ID: a4c7e9f1b3d5
Revises: f2b6d8a0c4e1
Create Date: 2026-11-26 11:00:00

The lock after repeated wrong passwords holds for one (username, address) pair instead of the whole
account, so nobody can lock a person out from elsewhere; user_account.failed_logins and locked_until go.
"""
from alembic import op
import sqlalchemy as sa


revision = 'a4c7e9f1b3d5'
down_revision = 'f2b6d8a0c4e1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_in_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False, comment='as typed, trimmed and case-folded'),
    sa.Column('address', sa.String(length=64), nullable=False, comment='the client address (after ProxyFix)'),
    sa.Column('failures', sa.Integer(), nullable=False, comment='wrong passwords since first_failed_at'),
    sa.Column('first_failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_failure')),
    sa.UniqueConstraint('username', 'address', name=op.f('uq_sign_in_failure_username_address'))
    )
    with op.batch_alter_table('sign_in_failure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_failure_last_failed_at'), ['last_failed_at'], unique=False)
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False,
                                      comment='consecutive failed logins'))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('sign_in_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_failure_last_failed_at'))
    op.drop_table('sign_in_failure')
