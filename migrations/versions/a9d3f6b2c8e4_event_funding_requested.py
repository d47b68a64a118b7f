"""event.funding_requested_cny: the fiscal funding the organizer asks for (issue #18)

Revision ID: a9d3f6b2c8e4
Revises: e8f4a2c6d1b9
Create Date: 2026-12-04 17:30:00

Events registered before stay without an amount; Finance's review then has no requested amount to
keep to (nothing was stated).
"""
from alembic import op
import sqlalchemy as sa


revision = 'a9d3f6b2c8e4'
down_revision = 'e8f4a2c6d1b9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'funding_requested_cny', sa.Numeric(precision=14, scale=2), nullable=True,
            comment='the municipal fiscal funding the organizer asks for, in yuan (R-DEPT-FIN); Finance grants '
                    'more only with a stated reason'))


def downgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('funding_requested_cny')
