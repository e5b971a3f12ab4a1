//! The tests' PostgreSQL server itself (`support::pg`): each test gets a database of its
//! own, empty, on a server that answers.

use crate::support::pg;

#[test]
#[cfg_attr(no_postgres, ignore = "needs PostgreSQL")]
fn each_test_gets_an_empty_database_of_its_own() {
    let (one, two) = (pg::database(), pg::database());
    assert_ne!(one, two);
    pg::run(
        &one,
        "CREATE TABLE items (id text PRIMARY KEY); INSERT INTO items VALUES ('a')",
    )
    .unwrap();
    pg::run(
        &one,
        "DO $$ BEGIN IF (SELECT count(*) FROM items) <> 1 THEN RAISE 'lost'; END IF; END $$",
    )
    .unwrap();
    let err = pg::run(&two, "SELECT * FROM items").unwrap_err();
    assert!(err.contains("does not exist"), "{err}");
    // A database that was not created is refused: the URL names the database used.
    let mut missing = url::Url::parse(&one).unwrap();
    missing.set_path("/tidings_test_never_created");
    let err = pg::run(missing.as_str(), "SELECT 1").unwrap_err();
    assert!(err.contains("does not exist"), "{err}");
}
