"""user_account.demo: accounts made by `flask demo-data` (issue #17)

Revision ID: f2b6d8a0c4e1
Revises: c9d2e7a41f06
Create Date: 2026-11-26 10:00:00

Existing accounts are not marked: production's start-up check also looks at accounts named like the
demo accounts that still have the published password.
"""
from alembic import op
import sqlalchemy as sa


revision = 'f2b6d8a0c4e1'
down_revision = 'c9d2e7a41f06'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'demo', sa.Boolean(), server_default=sa.false(), nullable=False,
            comment='made by `flask demo-data` with the published password; production refuses to start while '
                    'one of them still has it and is active'))


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('demo')
