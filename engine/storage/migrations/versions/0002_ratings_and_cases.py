"""ratings and cases

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rating',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('policy_id', sa.String(length=64), nullable=False),
    sa.Column('transaction_no', sa.String(length=50), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('bucket', sa.String(length=8), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('item_code', sa.String(length=24), nullable=True),
    sa.Column('department_code', sa.String(length=18), nullable=True),
    sa.Column('hall', sa.String(length=64), nullable=True),
    sa.Column('window', sa.String(length=64), nullable=True),
    sa.Column('staff_id', sa.String(length=64), nullable=True),
    sa.Column('rater_type', sa.String(length=16), nullable=False),
    sa.Column('rater_key', sa.String(length=64), nullable=True),
    sa.Column('device_key', sa.String(length=64), nullable=True),
    sa.Column('sub_ratings', sa.JSON(), nullable=False),
    sa.Column('reason_tags', sa.JSON(), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('transaction_no', 'stage', 'sequence', name='uq_rating_once')
    )
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_department_code'), ['department_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_rating_device_key'), ['device_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_rating_rated_at'), ['rated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_rating_rater_key'), ['rater_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_rating_region_code'), ['region_code'], unique=False)

    op.create_table('rating_case',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('rating_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('handler', sa.String(length=128), nullable=True),
    sa.Column('region_code', sa.String(length=12), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due', sa.JSON(), nullable=False),
    sa.Column('reopens', sa.Integer(), nullable=False),
    sa.Column('escalations', sa.Integer(), nullable=False),
    sa.Column('before_appeal', sa.String(length=24), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['rating_id'], ['rating.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('rating_id')
    )
    with op.batch_alter_table('rating_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_case_state'), ['state'], unique=False)

    op.create_table('case_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('from_state', sa.String(length=24), nullable=False),
    sa.Column('to_state', sa.String(length=24), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['rating_case.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_event_case_id'), ['case_id'], unique=False)

    # Case events are append-only: the database itself refuses updates and deletes.
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER case_event_no_{verb.lower()} BEFORE {verb} ON case_event "
                       f"BEGIN SELECT RAISE(ABORT, 'case_event is append-only'); END")
    elif bind.dialect.name == "postgresql":
        op.execute("CREATE TRIGGER case_event_append_only BEFORE UPDATE OR DELETE ON case_event "
                   "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS case_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS case_event_no_delete")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS case_event_append_only ON case_event")
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_event_case_id'))

    op.drop_table('case_event')
    with op.batch_alter_table('rating_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_case_state'))

    op.drop_table('rating_case')
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_region_code'))
        batch_op.drop_index(batch_op.f('ix_rating_rater_key'))
        batch_op.drop_index(batch_op.f('ix_rating_rated_at'))
        batch_op.drop_index(batch_op.f('ix_rating_device_key'))
        batch_op.drop_index(batch_op.f('ix_rating_department_code'))

    op.drop_table('rating')
