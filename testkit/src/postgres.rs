//! PostgreSQL for tests: the server `TEST_DATABASE_URL` names (`cargo xtask test` starts one
//! and sets it), and a fresh database on it per test.

use sqlx::{Connection, PgConnection};

/// The PostgreSQL server to create test databases on, if `TEST_DATABASE_URL` names one.
pub fn database_server() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

/// The PostgreSQL server of tests that need one: without it they fail, saying how to get one.
pub fn required_database_server() -> String {
    database_server()
        .expect("TEST_DATABASE_URL is not set: run `cargo xtask test`, which starts PostgreSQL")
}

/// Creates a fresh database on the PostgreSQL server at `server` (a URL naming any database
/// the role may connect to) and returns its URL.
pub async fn try_test_database(server: &str) -> Result<String, Box<dyn std::error::Error>> {
    let name = format!(
        "mv_{:016x}{:08x}",
        rand::random::<u64>(),
        rand::random::<u32>()
    );
    let mut admin = PgConnection::connect(server).await?;
    // `CREATE DATABASE` takes no bind parameters: the name goes in as a quoted identifier.
    sqlx::query(&format!("CREATE DATABASE {}", quoted_identifier(&name)))
        .execute(&mut admin)
        .await?;
    admin.close().await?;
    let mut url = reqwest::Url::parse(server)?;
    url.set_path(&name);
    Ok(url.to_string())
}

/// [`try_test_database`], failing the test with what went wrong.
pub async fn test_database(server: &str) -> String {
    match try_test_database(server).await {
        Ok(url) => url,
        Err(e) => panic!("cannot create a test database on TEST_DATABASE_URL's server: {e}"),
    }
}

/// A fresh database on the server `TEST_DATABASE_URL` names, for tests that need PostgreSQL.
pub async fn required_test_database() -> String {
    test_database(&required_database_server()).await
}

/// `name` as a PostgreSQL quoted identifier: in double quotes, each inner one doubled.
fn quoted_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    #[test]
    fn identifiers_are_quoted_with_inner_quotes_doubled() {
        assert_eq!(super::quoted_identifier("mv_1"), "\"mv_1\"");
        assert_eq!(super::quoted_identifier("a\"b"), "\"a\"\"b\"");
    }
}
