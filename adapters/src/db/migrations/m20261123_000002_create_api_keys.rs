//! api_keys: peppered key hashes (unique), display prefixes unique per account.

use super::{Accounts, ApiKeys};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ApiKeys::Id))
                    .col(big_integer(ApiKeys::AccountId))
                    .col(string_len(ApiKeys::Name, 64))
                    .col(string_len_uniq(ApiKeys::KeyHash, 64))
                    .col(string_len(ApiKeys::Prefix, 16))
                    .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiKeys::Table, ApiKeys::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One account's keys never share a display prefix (revoked ones included), so
        // DELETE /auth/keys/{prefix} always names exactly one key.
        manager
            .create_index(
                Index::create()
                    .name("ux_api_keys_account_prefix")
                    .table(ApiKeys::Table)
                    .col(ApiKeys::AccountId)
                    .col(ApiKeys::Prefix)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }
}
