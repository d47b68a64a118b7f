"""Sessions that end and API tokens that expire (issue #17)

Revision ID: e5a1c3d9b7f2
Revises: b3e8f41c5a27
Create Date: 2026-11-26 09:00:00

user_session: one row per signed-in browser session (only the SHA-256 of the cookie's key).
api_token: `label` becomes `name`; every token gets `expires_at` (existing ones: 90 days from this
migration) and `revoked_reason`. Browser sessions of before the migration carry no session key:
their users sign in again once.
"""
from datetime import datetime, timedelta, timezone

from alembic import op
import sqlalchemy as sa


revision = 'e5a1c3d9b7f2'
down_revision = 'b3e8f41c5a27'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('user_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False, comment="sha256 hex of the cookie's session key"),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False, comment='sign-in time + SESSION_HOURS'),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=30), nullable=True, comment='signed_out, password_changed, deactivated, signed_out_everywhere'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False, comment='when the row was created (UTC)'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_user_session_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_user_session_key_hash'))
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.alter_column('label', new_column_name='name', existing_type=sa.Text(), existing_nullable=True,
                              comment='what the owner calls it, e.g. the script using it')
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True,
                                      comment='the token fails from then on'))
        batch_op.add_column(sa.Column('revoked_reason', sa.String(length=30), nullable=True,
                                      comment='revoked, password_changed, deactivated, signed_out_everywhere'))
    token = sa.table('api_token', sa.column('expires_at', sa.DateTime(timezone=True)))
    op.execute(token.update().values(expires_at=datetime.now(timezone.utc) + timedelta(days=90)))
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=sa.DateTime(timezone=True), nullable=False,
                              existing_comment='the token fails from then on')


def downgrade():
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('revoked_reason')
        batch_op.drop_column('expires_at')
        batch_op.alter_column('name', new_column_name='label', existing_type=sa.Text(), existing_nullable=True,
                              comment=None)
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_user_id'))
    op.drop_table('user_session')
