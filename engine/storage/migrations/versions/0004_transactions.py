"""service transactions (for default ratings), indexes for per-rater and per-device daily counts

Revision ID: 0004_transactions
Revises: 0003_survey_pages
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_transactions'
down_revision = '0003_survey_pages'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('service_transaction',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('transaction_no', sa.String(length=50), nullable=False),
    sa.Column('item_code', sa.String(length=24), nullable=True),
    sa.Column('department_code', sa.String(length=18), nullable=True),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('hall', sa.String(length=64), nullable=True),
    sa.Column('window', sa.String(length=64), nullable=True),
    sa.Column('staff_id', sa.String(length=64), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=128), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('transaction_no', name='uq_service_transaction_no'),
    )
    op.create_index('ix_service_transaction_finished_at', 'service_transaction', ['finished_at'])
    op.create_index('ix_rating_rater_day', 'rating', ['rater_key', 'rated_at'])
    op.create_index('ix_rating_device_day', 'rating', ['device_key', 'rated_at'])


def downgrade() -> None:
    op.drop_index('ix_rating_device_day', table_name='rating')
    op.drop_index('ix_rating_rater_day', table_name='rating')
    op.drop_index('ix_service_transaction_finished_at', table_name='service_transaction')
    op.drop_table('service_transaction')
