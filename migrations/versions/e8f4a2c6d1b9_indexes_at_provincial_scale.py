"""Indexes for a provincial history (issue #19): open tasks by due day, returns by date

Revision ID: e8f4a2c6d1b9
Revises: d7e3b5a9c2f4
Create Date: 2026-12-04 18:00:00

human_task (status, due_on, id): the overdue tasks of the compliance report, the dashboard and the
events list, and the task reminders of the deadline tick, read the open tasks due before a day in
due order. decision (decision, created_at, id): the compliance report's returns, oldest first.
"""
from alembic import op

revision = 'e8f4a2c6d1b9'
down_revision = 'd7e3b5a9c2f4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_human_task_status_due_on', 'human_task', ['status', 'due_on', 'id'])
    op.create_index('ix_decision_decision_created_at', 'decision', ['decision', 'created_at', 'id'])


def downgrade():
    op.drop_index('ix_decision_decision_created_at', table_name='decision')
    op.drop_index('ix_human_task_status_due_on', table_name='human_task')
