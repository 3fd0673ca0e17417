//! jobs: every job seen (by its stable id), its content hash, bookkeeping times and the change
//! sequence value of its latest change; job_seq: the one-row change sequence that serializes
//! writers, so readers paging by `seq` never see a gap that fills in later.

use super::{JobSeq, Jobs};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .if_not_exists()
                    .col(string_len(Jobs::Id, 512).primary_key())
                    .col(big_integer(Jobs::Seq))
                    .col(string_len(Jobs::Fingerprint, 128))
                    .col(string_len(Jobs::Source, 16))
                    .col(string_len(Jobs::Country, 8))
                    .col(boolean(Jobs::Remote))
                    .col(text(Jobs::SearchText))
                    .col(string_len(Jobs::ContentHash, 64))
                    .col(text(Jobs::Body))
                    .col(timestamp_with_time_zone_null(Jobs::PostedAt))
                    .col(timestamp_with_time_zone_null(Jobs::ValidThrough))
                    .col(timestamp_with_time_zone(Jobs::FirstSeenAt))
                    .col(timestamp_with_time_zone(Jobs::LastSeenAt))
                    .col(timestamp_with_time_zone(Jobs::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Jobs::ExpiredAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_jobs_seq")
                    .table(Jobs::Table)
                    .col(Jobs::Seq)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("ix_jobs_last_seen", Jobs::LastSeenAt),
            ("ix_jobs_expired_at", Jobs::ExpiredAt),
            ("ix_jobs_fingerprint", Jobs::Fingerprint),
        ] {
            manager
                .create_index(Index::create().name(name).table(Jobs::Table).col(col).if_not_exists().to_owned())
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(JobSeq::Table)
                    .if_not_exists()
                    .col(integer(JobSeq::Id).primary_key())
                    .col(big_integer(JobSeq::Value))
                    .to_owned(),
            )
            .await?;
        let insert = Query::insert()
            .into_table(JobSeq::Table)
            .columns([JobSeq::Id, JobSeq::Value])
            .values_panic([1.into(), 0i64.into()])
            .to_owned();
        manager.exec_stmt(insert).await
    }
}
