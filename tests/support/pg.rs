//! A fresh PostgreSQL database for each test, on the server `$TIDINGS_POSTGRES_URL`
//! names. Without it the test fails naming the variable: a test that cannot run must
//! not pass.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A new, empty, uniquely named database and its URL.
pub fn database() -> String {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let server = std::env::var("TIDINGS_POSTGRES_URL").unwrap_or_else(|_| {
        panic!("set TIDINGS_POSTGRES_URL to a PostgreSQL server for the tests")
    });
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let name = format!(
        "tidings_test_{}_{nanos}_{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    );
    let statement = format!("CREATE DATABASE {name}");
    let s = server.clone();
    // On a thread of its own: the caller may be inside a tokio runtime.
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (client, connection) = tokio_postgres::connect(&s, tokio_postgres::NoTls)
                .await
                .expect("connecting to TIDINGS_POSTGRES_URL");
            let connection = tokio::spawn(connection);
            client
                .batch_execute(&statement)
                .await
                .expect("creating a database");
            drop(client);
            let _ = connection.await;
        })
    })
    .join()
    .unwrap();
    let mut url = url::Url::parse(&server).expect("TIDINGS_POSTGRES_URL is a URL");
    url.set_path(&format!("/{name}"));
    url.into()
}
