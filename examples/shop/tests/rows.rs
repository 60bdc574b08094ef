//! The shop's models are the application's rows too: `Tenant`, `TenantSettings` and
//! `Customer` derive `Model`, `sqlx::FromRow` and serde's traits, relations included, and
//! their values go through sqlx's own encoding into the columns the tool created, on
//! SQLite, PostgreSQL and MariaDB. A `Uuid` is stored as sqlx stores it (16 bytes on SQLite
//! and MySQL), so foreign keys hold, and a UUID the tool writes into SQL (a default, a
//! one-off value) is the same value.

use chrono::{DateTime, SubsecRound, Utc};
use migrate_core::schema::{column_literal, Backend};
use migrate_core::{ColumnType, ForeignKey, ManyToMany, OneToOne, Value};
use migrate_tests::db::{runtime, TestDb};
use shop::models::customers::Customer;
use shop::models::tenants::{Tenant, TenantSettings};
use uuid::Uuid;

/// A UUID with bytes above 0x7f (not text), the `n`th.
fn uuid(n: u128) -> Uuid {
    Uuid::from_u128(0xf0e1_d2c3_b4a5_4697_8877_6655_4433_2200 + n)
}

fn now() -> DateTime<Utc> {
    // Microseconds: what every backend keeps.
    Utc::now().trunc_subsecs(6)
}

/// The rows written and read back; `$pool` is the backend's pool type.
macro_rules! round_trip {
    ($db:expr, $pool:ty) => {{
        let db: &TestDb = $db;
        let url = if db.backend == Backend::Sqlite {
            format!("{}?mode=rwc", db.url)
        } else {
            db.url.clone()
        };
        let ph = |i: usize| {
            if db.backend == Backend::Postgres {
                format!("${i}")
            } else {
                "?".to_owned()
            }
        };
        let pool = <$pool>::connect(&url).await.unwrap();
        shop::MIGRATIONS.run(&pool).await.unwrap();

        let tenant = Tenant {
            id: uuid(1),
            name: "Acme".into(),
            slug: "acme".into(),
            tier: None,
            is_active: true,
            created_at: now(),
        };
        sqlx::query(&format!(
            "INSERT INTO tenants_tenant (id, name, slug, tier_id, is_active, created_at) VALUES ({}, {}, {}, {}, {}, {})",
            ph(1), ph(2), ph(3), ph(4), ph(5), ph(6)
        ))
        .bind(tenant.id)
        .bind(&tenant.name)
        .bind(&tenant.slug)
        .bind(tenant.tier)
        .bind(tenant.is_active)
        .bind(tenant.created_at)
        .execute(&pool)
        .await
        .unwrap();
        let settings = TenantSettings {
            tenant: OneToOne(tenant.id),
            timezone: "Europe/Paris".into(),
            locale: "fr".into(),
            twilio_sid: Some("AC1".into()),
            twilio_token: None,
        };
        sqlx::query(&format!(
            "INSERT INTO tenants_tenantsettings (tenant_id, timezone, locale, twilio_sid, twilio_token) VALUES ({}, {}, {}, {}, {})",
            ph(1), ph(2), ph(3), ph(4), ph(5)
        ))
        .bind(settings.tenant)
        .bind(&settings.timezone)
        .bind(&settings.locale)
        .bind(&settings.twilio_sid)
        .bind(&settings.twilio_token)
        .execute(&pool)
        .await
        .unwrap();
        let first = Customer {
            id: uuid(2),
            tenant: ForeignKey(tenant.id),
            phone_e164: "+331".into(),
            nickname: Some("Jo".into()),
            referred_by: None,
            favourite_products: ManyToMany::default(),
            created_at: now(),
        };
        let second = Customer {
            id: uuid(3),
            tenant: ForeignKey(tenant.id),
            phone_e164: "+332".into(),
            nickname: None,
            referred_by: Some(ForeignKey(first.id)),
            favourite_products: ManyToMany::default(),
            created_at: now(),
        };
        for c in [&first, &second] {
            sqlx::query(&format!(
                "INSERT INTO customers_customer (id, tenant_id, phone_e164, nickname, referred_by_id, created_at) VALUES ({}, {}, {}, {}, {}, {})",
                ph(1), ph(2), ph(3), ph(4), ph(5), ph(6)
            ))
            .bind(c.id)
            .bind(c.tenant)
            .bind(&c.phone_e164)
            .bind(&c.nickname)
            .bind(c.referred_by)
            .bind(c.created_at)
            .execute(&pool)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.backend));
        }

        // A key that points nowhere is refused: the stored keys are the referenced ones.
        let dangling = sqlx::query(&format!(
            "INSERT INTO customers_customer (id, tenant_id, phone_e164, created_at) VALUES ({}, {}, {}, {})",
            ph(1), ph(2), ph(3), ph(4)
        ))
        .bind(uuid(4))
        .bind(ForeignKey::<Tenant>(uuid(5)))
        .bind("+339")
        .bind(now())
        .execute(&pool)
        .await;
        assert!(dangling.is_err(), "{}: a dangling tenant key was accepted", db.backend);

        let tenants: Vec<Tenant> = sqlx::query_as("SELECT * FROM tenants_tenant")
            .fetch_all(&pool)
            .await
            .unwrap();
        assert_eq!(tenants.len(), 1);
        let read = &tenants[0];
        assert_eq!(
            (read.id, &read.name, &read.slug, read.tier, read.is_active, read.created_at),
            (tenant.id, &tenant.name, &tenant.slug, None, true, tenant.created_at),
            "{}",
            db.backend
        );
        let read: TenantSettings = sqlx::query_as("SELECT * FROM tenants_tenantsettings")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(read.tenant, settings.tenant);
        assert_eq!(read.twilio_sid, settings.twilio_sid);
        let customers: Vec<Customer> =
            sqlx::query_as("SELECT * FROM customers_customer ORDER BY phone_e164")
                .fetch_all(&pool)
                .await
                .unwrap();
        let seen: Vec<_> = customers
            .iter()
            .map(|c| (c.id, c.tenant, c.phone_e164.clone(), c.nickname.clone(), c.referred_by))
            .collect();
        let wanted: Vec<_> = [&first, &second]
            .iter()
            .map(|c| (c.id, c.tenant, c.phone_e164.clone(), c.nickname.clone(), c.referred_by))
            .collect();
        assert_eq!(seen, wanted, "{}", db.backend);

        // Joined through the keys, as the application's queries do.
        let referrer: String = sqlx::query_scalar(
            "SELECT r.phone_e164 FROM customers_customer c JOIN customers_customer r ON c.referred_by_id = r.id",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(referrer, "+331");

        // A UUID the tool writes into SQL is the value sqlx stored.
        let literal = column_literal(db.backend, ColumnType::Uuid, &Value::Str(tenant.id.to_string().into()));
        let found: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM tenants_tenant WHERE id = {literal}"
        ))
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(found, 1, "{}: {literal}", db.backend);

        // JSON: a relation is its key.
        let json = serde_json::to_value(&customers[1]).unwrap();
        assert_eq!(json["tenant"], serde_json::json!(tenant.id.to_string()));
        assert_eq!(json["referred_by"], serde_json::json!(first.id.to_string()));
        assert!(json.get("favourite_products").is_none(), "{json}");
        let back: Tenant = serde_json::from_value(serde_json::to_value(&tenants[0]).unwrap()).unwrap();
        assert_eq!((back.id, back.tier), (tenant.id, None));
        pool.close().await;
    }};
}

#[test]
fn models_with_relations_are_rows_and_json_on_sqlite() {
    let db = TestDb::create(Backend::Sqlite, "rows_sqlite").unwrap();
    runtime().block_on(async { round_trip!(&db, sqlx::SqlitePool) });
}

#[test]
fn models_with_relations_are_rows_and_json_on_postgres() {
    let Some(db) = TestDb::create(Backend::Postgres, "rows_postgres") else {
        return;
    };
    runtime().block_on(async { round_trip!(&db, sqlx::PgPool) });
}

#[test]
fn models_with_relations_are_rows_and_json_on_mysql() {
    let Some(db) = TestDb::create(Backend::Mysql, "rows_mysql") else {
        return;
    };
    runtime().block_on(async { round_trip!(&db, sqlx::MySqlPool) });
}
