"""Registry cross-check (issue #22): imports of registries' public exports, their retirement
ranges, and each cancellation's registry status

Revision ID: 853dacab1003
Revises: a9d3f6b2c8e4
Create Date: 2026-12-05 09:00:00

Three new tables; the ledger (`cancellation`) is not touched.
"""
import sqlalchemy as sa
from alembic import op

revision = '853dacab1003'
down_revision = 'a9d3f6b2c8e4'
branch_labels = None
depends_on = None

REGISTRIES = ('sd_inclusion_platform', 'ccer_registry', 'national_carbon_market', 'verra', 'gold_standard', 'other')


def _registry() -> sa.Enum:
    return sa.Enum(*REGISTRIES, name='registry', native_enum=False, length=40)


def upgrade():
    op.create_table(
        'registry_import',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_registry', _registry(), nullable=False, comment='the registry whose export this is'),
        sa.Column('adapter', sa.String(length=40), nullable=False,
                  comment='the format read: verra_transactions, gold_standard_retirements or generic_csv'),
        sa.Column('source', sa.String(length=300), nullable=True,
                  comment='where the file came from, as the importer says'),
        sa.Column('filename', sa.String(length=255), nullable=False, comment="the uploaded file's name (display only)"),
        sa.Column('sha256', sa.String(length=64), nullable=False, comment='SHA-256 of the file as uploaded'),
        sa.Column('size', sa.BigInteger(), nullable=False, comment='bytes'),
        sa.Column('rows', sa.Integer(), nullable=False, comment='data rows read'),
        sa.Column('ranges', sa.Integer(), nullable=False, comment='retirement ranges stored'),
        sa.Column('mapping', sa.Text(), nullable=True, comment='generic CSV: the column names used, as JSON'),
        sa.Column('status', sa.Enum('active', 'withdrawn', name='importstatus', native_enum=False, length=20),
                  nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False, comment='web, api or cli'),
        sa.Column('imported_by_id', sa.Integer(), nullable=True,
                  comment='who imported it; NULL from the command line without --actor'),
        sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('withdrawn_reason', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False, comment='when the row was created (UTC)'),
        sa.ForeignKeyConstraint(['imported_by_id'], ['user_account.id'],
                                name=op.f('fk_registry_import_imported_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_import')),
    )
    with op.batch_alter_table('registry_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registry_import_sha256'), ['sha256'], unique=False)

    op.create_table(
        'registry_retirement',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('import_id', sa.Integer(), nullable=False),
        sa.Column('line', sa.Integer(), nullable=False, comment='line of the file where the row starts (1 = header)'),
        sa.Column('unit_registry', _registry(), nullable=False),
        sa.Column('serial', sa.String(length=300), nullable=False, comment='the serial(s) as the export prints them'),
        sa.Column('units_key', sa.String(length=400), nullable=False, comment='normalised namespace of the units'),
        sa.Column('first_unit', sa.BigInteger(), nullable=False),
        sa.Column('last_unit', sa.BigInteger(), nullable=False, comment='inclusive'),
        sa.Column('alt_key', sa.String(length=400), nullable=True, comment='generic serials: the grouped reading'),
        sa.Column('alt_first', sa.BigInteger(), nullable=True),
        sa.Column('alt_last', sa.BigInteger(), nullable=True),
        sa.Column('quantity', sa.Numeric(precision=18, scale=3), nullable=True, comment='as the export states it'),
        sa.Column('retired_on', sa.Date(), nullable=False, comment='date of the retirement at the registry'),
        sa.Column('beneficiary', sa.Text(), nullable=True, comment='for whom, as the export names it'),
        sa.Column('reason', sa.Text(), nullable=True, comment="the registry's reason or use category"),
        sa.Column('note', sa.Text(), nullable=True, comment='details or note text'),
        sa.Column('project_code', sa.String(length=80), nullable=True, comment="the project's id, as exported"),
        sa.Column('project_key', sa.String(length=80), nullable=True, comment="the project's id, normalised"),
        sa.Column('project_name', sa.String(length=300), nullable=True),
        sa.Column('vintage', sa.Integer(), nullable=True, comment="year of the units' vintage"),
        sa.ForeignKeyConstraint(['import_id'], ['registry_import.id'],
                                name=op.f('fk_registry_retirement_import_id_registry_import')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_retirement')),
    )
    with op.batch_alter_table('registry_retirement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registry_retirement_import_id'), ['import_id'], unique=False)
        batch_op.create_index('ix_registry_retirement_units',
                              ['unit_registry', 'units_key', 'first_unit', 'last_unit'], unique=False)
        batch_op.create_index('ix_registry_retirement_alt', ['alt_key', 'alt_first', 'alt_last'], unique=False)
        batch_op.create_index('ix_registry_retirement_project', ['unit_registry', 'project_key', 'vintage'],
                              unique=False)

    op.create_table(
        'cancellation_registry_check',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cancellation_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.Enum('confirmed', 'partly', 'not_found', 'conflict', 'no_data', name='registrystatus',
                                    native_enum=False, length=20), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=True,
                  comment='the record that confirms it, or the conflicting one'),
        sa.Column('units_found', sa.BigInteger(), nullable=False,
                  comment='units of the line found retired in time'),
        sa.Column('reason', sa.String(length=40), nullable=True,
                  comment='why a conflict or partly: other_beneficiary, two_ledger_lines, retired_after_recording'),
        sa.Column('other_cancellation_id', sa.Integer(), nullable=True,
                  comment='two_ledger_lines: the other line holding the same units'),
        sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['cancellation_id'], ['cancellation.id'],
                                name=op.f('fk_cancellation_registry_check_cancellation_id_cancellation')),
        sa.ForeignKeyConstraint(['other_cancellation_id'], ['cancellation.id'],
                                name=op.f('fk_cancellation_registry_check_other_cancellation_id_cancellation')),
        sa.ForeignKeyConstraint(['record_id'], ['registry_retirement.id'],
                                name=op.f('fk_cancellation_registry_check_record_id_registry_retirement')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cancellation_registry_check')),
        sa.UniqueConstraint('cancellation_id', name=op.f('uq_cancellation_registry_check_cancellation_id')),
    )


def downgrade():
    op.drop_table('cancellation_registry_check')
    with op.batch_alter_table('registry_retirement', schema=None) as batch_op:
        batch_op.drop_index('ix_registry_retirement_project')
        batch_op.drop_index('ix_registry_retirement_alt')
        batch_op.drop_index('ix_registry_retirement_units')
        batch_op.drop_index(batch_op.f('ix_registry_retirement_import_id'))
    op.drop_table('registry_retirement')
    with op.batch_alter_table('registry_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registry_import_sha256'))
    op.drop_table('registry_import')
