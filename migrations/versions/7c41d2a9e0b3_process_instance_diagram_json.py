"""process_instance.diagram_json: the diagram's completed/current elements, projected at each save

Revision ID: 7c41d2a9e0b3
Revises: 2df1380fe8c8
Create Date: 2026-11-25 11:10:00

Existing instances keep NULL; the event page then computes the projection from the state until
the next save writes it.
"""
from alembic import op
import sqlalchemy as sa


revision = '7c41d2a9e0b3'
down_revision = '2df1380fe8c8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'diagram_json', sa.JSON(), nullable=True,
            comment='diagram elements completed and current, projected from the state at each save'))


def downgrade():
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_column('diagram_json')
