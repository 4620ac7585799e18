//! The team journal over TLS, against a throwaway server that takes only TLS connections
//! with a certificate for `localhost` from a CA of its own: each `sslmode` checks what libpq's
//! does, and nothing goes over plain TCP.

use super::*;
use crate::test_postgres::TestPostgres;

#[test]
fn a_team_journal_over_tls_checks_what_its_sslmode_asks() {
    let Some((server, ca)) = TestPostgres::start_tls() else {
        return;
    };
    let database = server.new_database();
    let ca = ca.display().to_string();
    let write = |host: &str, options: &str| -> Result<(), String> {
        let url = server.url_with(host, &database, options);
        let team = TeamJournal::parse(&url, None).map_err(|error| error.to_string())?;
        let dir = tempfile::tempdir().expect("tempdir");
        let store = team::TeamStore::new(team, dir.path().to_path_buf())
            .map_err(|error| error.to_string())?;
        let entry = Entry::new("http://h", Tool::Cli, Action::Update, Outcome::Ok);
        store
            .database()
            .insert(&entry)
            .map_err(|error| error.to_string())
    };
    let with_ca = |mode: &str| format!("sslmode={mode}&sslrootcert={ca}");

    assert_eq!(
        write("localhost", "sslmode=require"),
        Ok(()),
        "encrypted, not checked"
    );
    assert_eq!(write("127.0.0.1", "sslmode=require"), Ok(()));
    assert_eq!(
        write("localhost", "sslmode=prefer"),
        Ok(()),
        "TLS, as it is offered"
    );
    assert_eq!(write("localhost", &with_ca("verify-full")), Ok(()));
    assert_eq!(
        write("127.0.0.1", &with_ca("verify-ca")),
        Ok(()),
        "the chain, any name"
    );

    let wrong_name = write("127.0.0.1", &with_ca("verify-full")).expect_err("not its name");
    assert!(wrong_name.contains("cannot be reached"), "{wrong_name}");
    let unknown_ca = write("localhost", "sslmode=verify-full").expect_err("a CA not trusted");
    assert!(unknown_ca.contains("cannot be reached"), "{unknown_ca}");
    let plain = write("localhost", "sslmode=disable").expect_err("the server wants TLS");
    assert!(
        plain.contains("no encryption") || plain.contains("pg_hba"),
        "{plain}"
    );
}
