//! sea-orm entities. Private to the adapter: core types are built from them in `key_store`.

pub mod account {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "accounts")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub email: String,
        pub password_hash: String,
        pub plan: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(has_many = "super::api_key::Entity")]
        ApiKey,
    }

    impl Related<super::api_key::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::ApiKey.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod api_key {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_keys")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub account_id: i64,
        pub name: String,
        #[sea_orm(unique)]
        pub key_hash: String,
        pub prefix: String,
        pub created_at: DateTimeUtc,
        pub last_used_at: Option<DateTimeUtc>,
        pub revoked_at: Option<DateTimeUtc>,
        /// Scope names separated by single spaces (`Scopes::to_stored`).
        pub scopes: String,
        /// The refresh-token family of the login session that minted the key.
        pub minted_by_login: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(belongs_to = "super::account::Entity", from = "Column::AccountId", to = "super::account::Column::Id")]
        Account,
    }

    impl Related<super::account::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Account.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod refresh_token {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "refresh_tokens")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub account_id: i64,
        pub family: String,
        #[sea_orm(unique)]
        pub token_hash: String,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub used_at: Option<DateTimeUtc>,
        pub revoked_at: Option<DateTimeUtc>,
        /// When the login began; NULL only in rows no migration or write has reached (read as
        /// `created_at`, the latest it can have begun).
        pub login_started_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod usage_log {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "usage_log")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub at: DateTimeUtc,
        pub account_id: i64,
        pub key_prefix: Option<String>,
        pub endpoint: String,
        pub status: i32,
        pub cache_hit: bool,
        pub latency_ms: i32,
        /// Counted against the account's monthly quota.
        pub monthly: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod billing {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "billing")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub account_id: i64,
        pub stripe_customer: Option<String>,
        pub stripe_subscription: Option<String>,
        pub status: String,
        pub last_event_at: Option<i64>,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod billing_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "billing_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub event_id: String,
        pub account_id: Option<i64>,
        pub received_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod job {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "jobs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub seq: i64,
        pub fingerprint: String,
        pub source: String,
        pub country: String,
        pub remote: bool,
        pub search_text: String,
        pub content_hash: String,
        pub body: String,
        pub posted_at: Option<DateTimeUtc>,
        pub valid_through: Option<DateTimeUtc>,
        pub first_seen_at: DateTimeUtc,
        pub last_seen_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub expired_at: Option<DateTimeUtc>,
        /// `left_listing`, `gone` or `age` (`ExpiredReason`); null while active.
        pub expired_reason: Option<String>,
        pub place_text: String,
        pub source_mask: i64,
        pub copy_ids: String,
        pub salary_currency: Option<String>,
        #[sea_orm(column_type = "Double", nullable)]
        pub salary_annual: Option<f64>,
        pub skills: String,
        pub remote_any: bool,
        pub seniority: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod job_seq {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "job_seq")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub value: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod application {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "applications")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub account_id: i64,
        pub job_title: String,
        pub company_name: String,
        pub company_sort: String,
        pub job_id: Option<String>,
        pub url: Option<String>,
        pub location: Option<String>,
        #[sea_orm(column_type = "Double", nullable)]
        pub salary_min: Option<f64>,
        #[sea_orm(column_type = "Double", nullable)]
        pub salary_max: Option<f64>,
        pub salary_currency: Option<String>,
        pub salary_period: Option<String>,
        pub status: String,
        pub applied_at: Option<DateTimeUtc>,
        pub notes: Option<String>,
        /// One tag per line.
        pub tags: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub search_text: String,
        pub status_rank: i16,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod application_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "application_events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub application_id: i64,
        pub kind: String,
        pub at: DateTimeUtc,
        pub from_status: Option<String>,
        pub to_status: Option<String>,
        pub note: Option<String>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod saved_search {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "saved_searches")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub account_id: i64,
        pub name: String,
        pub q: String,
        pub location: Option<String>,
        pub country: Option<String>,
        pub remote: bool,
        /// Board names, space-separated.
        pub sources: String,
        pub salary_min: Option<i64>,
        pub salary_currency: Option<String>,
        /// Type names, space-separated.
        pub employment_types: String,
        pub workplace_types: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub webhook_url: Option<String>,
        pub webhook_nonce: Option<String>,
        pub webhook_failing_since: Option<DateTimeUtc>,
        pub webhook_disabled_at: Option<DateTimeUtc>,
        pub feed_token_hash: Option<String>,
        pub digest: bool,
        pub digest_sent_through: i64,
        pub digest_sent_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod search_match {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "search_matches")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub search_id: i64,
        pub account_id: i64,
        pub job_id: String,
        pub job_updated_at: DateTimeUtc,
        pub seq: i64,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod matcher_cursor {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "matcher_cursor")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i16,
        pub seq: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod webhook_delivery {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_deliveries")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub match_id: i64,
        pub search_id: i64,
        pub account_id: i64,
        pub state: String,
        pub attempts: i32,
        pub next_attempt_at: Option<DateTimeUtc>,
        pub lease_until: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod webhook_attempt {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_attempts")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub delivery_id: i64,
        pub at: DateTimeUtc,
        pub status_code: Option<i32>,
        pub latency_ms: i32,
        pub error: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
