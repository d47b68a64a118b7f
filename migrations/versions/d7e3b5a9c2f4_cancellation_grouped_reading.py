"""cancellation: the grouped reading of generic serials (serial_alt_*), registry-wide unit keys

Revision ID: d7e3b5a9c2f4
Revises: a4c7e9f1b3d5
Create Date: 2026-12-04 17:40:00

Generic serials (Chinese registries and `other`) are read twice — compact and grouped — and the
Chinese registries and `other` share one namespace; Verra and Gold Standard keys carry their
registry. Every row is re-parsed (R-CAN-2); a row whose serials no longer parse keeps its old
values and is reported in the log.
"""
import logging

from alembic import op
import sqlalchemy as sa


revision = 'd7e3b5a9c2f4'
down_revision = 'a4c7e9f1b3d5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cancellation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('serial_alt_key', sa.String(length=400), nullable=True,
                                      comment='generic serials: the namespace of the grouped reading'))
        batch_op.add_column(sa.Column('serial_alt_start', sa.BigInteger(), nullable=True,
                                      comment='generic serials: first unit of the grouped reading'))
        batch_op.add_column(sa.Column('serial_alt_end', sa.BigInteger(), nullable=True,
                                      comment='generic serials: last unit of the grouped reading'))
        batch_op.create_index('ix_cancellation_serials_alt', ['serial_alt_key', 'serial_alt_start', 'serial_alt_end'],
                              unique=False)
        batch_op.alter_column('serial_start', existing_type=sa.BigInteger(), existing_nullable=False,
                              comment='first unit number of the normalised range')
        batch_op.alter_column('serial_end', existing_type=sa.BigInteger(), existing_nullable=False,
                              comment='last unit number of the normalised range (inclusive)')
    from models.offsets import Registry
    from processes import serials
    from processes.errors import Invalid

    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, unit_registry, serial_from, serial_to FROM cancellation")).all()
    for row in rows:
        try:
            units = serials.parse(Registry(row.unit_registry), row.serial_from, row.serial_to)
        except (Invalid, ValueError):
            logging.getLogger("alembic").warning("cancellation %s: serials no longer parse, left as they were", row.id)
            continue
        alt = units.alt or (None, None, None)
        bind.execute(sa.text(
            "UPDATE cancellation SET serial_prefix = :key, serial_start = :first, serial_end = :last, "
            "serial_alt_key = :alt_key, serial_alt_start = :alt_first, serial_alt_end = :alt_last WHERE id = :id"),
            {"key": units.key, "first": units.first, "last": units.last, "alt_key": alt[0], "alt_first": alt[1],
             "alt_last": alt[2], "id": row.id})


def downgrade():
    with op.batch_alter_table('cancellation', schema=None) as batch_op:
        batch_op.alter_column('serial_start', existing_type=sa.BigInteger(), existing_nullable=False,
                              comment='trailing number of serial_from')
        batch_op.alter_column('serial_end', existing_type=sa.BigInteger(), existing_nullable=False,
                              comment='trailing number of serial_to (inclusive)')
        batch_op.drop_index('ix_cancellation_serials_alt')
        batch_op.drop_column('serial_alt_end')
        batch_op.drop_column('serial_alt_start')
        batch_op.drop_column('serial_alt_key')
