"""cancellation.serial_prefix holds the units' normalised namespace (processes/serials.py), up to 400 characters

Revision ID: c9d2e7a41f06
Revises: e5a1c3d9b7f2
Create Date: 2026-12-04 17:10:00

Existing rows are re-parsed with the per-registry serial model, so that every spelling of the same
units (separators, block serials) is compared on the same namespace and unit numbers (R-CAN-2).
A row whose serials no longer parse keeps its old values and is reported in the log.
"""
import logging

from alembic import op
import sqlalchemy as sa


revision = 'c9d2e7a41f06'
down_revision = 'e5a1c3d9b7f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cancellation', schema=None) as batch_op:
        batch_op.alter_column('serial_prefix', existing_type=sa.String(length=120), type_=sa.String(length=400),
                              existing_nullable=False,
                              comment="the units' normalised namespace at the registry (processes/serials.py)")
    from models.offsets import Registry
    from processes import serials
    from processes.errors import Invalid

    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT id, unit_registry, registry_name, serial_from, serial_to FROM cancellation")).all()
    for row in rows:
        try:
            units = serials.parse(Registry(row.unit_registry), row.serial_from, row.serial_to,
                                  registry_name=row.registry_name)
        except (Invalid, ValueError):
            logging.getLogger("alembic").warning("cancellation %s: serials no longer parse, left as they were", row.id)
            continue
        bind.execute(sa.text("UPDATE cancellation SET serial_prefix = :key, serial_start = :first, "
                             "serial_end = :last WHERE id = :id"),
                     {"key": units.key, "first": units.first, "last": units.last, "id": row.id})


def downgrade():
    with op.batch_alter_table('cancellation', schema=None) as batch_op:
        batch_op.alter_column('serial_prefix', existing_type=sa.String(length=400), type_=sa.String(length=120),
                              existing_nullable=False, comment='normalized part before the trailing digits')
