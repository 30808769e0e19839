"""survey pages: where a response was started (device and address as keyed hashes, for the
open-link limits of a wave) and its community and stratum (for quotas)

Revision ID: 0003_survey_pages
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_survey_pages'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('address_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('community', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('stratum', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_response_wave_device', ['wave_id', 'device_key'], unique=False)
        batch_op.create_index('ix_response_wave_address', ['wave_id', 'address_key'], unique=False)
        batch_op.create_index('ix_response_wave_community', ['wave_id', 'community'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index('ix_response_wave_community')
        batch_op.drop_index('ix_response_wave_address')
        batch_op.drop_index('ix_response_wave_device')
        batch_op.drop_column('stratum')
        batch_op.drop_column('community')
        batch_op.drop_column('address_key')
        batch_op.drop_column('device_key')
