"""drop the single-column indexes of rating.rater_key and rating.device_key: the (key, rated_at)
indexes of 0004 serve every lookup they served, and each insert paid for both

Revision ID: 0005_rating_indexes
Revises: 0004_transactions
"""
from alembic import op


revision = '0005_rating_indexes'
down_revision = '0004_transactions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_rating_rater_key', table_name='rating')
    op.drop_index('ix_rating_device_key', table_name='rating')


def downgrade() -> None:
    op.create_index('ix_rating_device_key', 'rating', ['device_key'])
    op.create_index('ix_rating_rater_key', 'rating', ['rater_key'])
