use super::*;

fn rows_of(text: &str) -> Vec<Row> {
    match parse(text.as_bytes(), ReadOptions::default()) {
        Ok(checked) if checked.problems.is_empty() => checked.rows,
        other => panic!("refused: {other:?}"),
    }
}

fn errors_of(text: &str) -> Vec<String> {
    let errors = match parse(text.as_bytes(), ReadOptions::default()) {
        Ok(checked) => checked.problems,
        Err(ReadError::Rows(errors)) => errors,
        Err(other) => return vec![other.to_string()],
    };
    assert!(!errors.is_empty(), "no problem found");
    errors.iter().map(ToString::to_string).collect()
}

#[test]
fn a_good_file_gives_every_row() {
    let rows = rows_of(
        "username,email,role,plan_id,expiration_date,password\n\
         neda,neda@example.ir,editor,2,2027-01-31,longenough\n\
         omid,omid@example.ir,,,,\n",
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].role, Some(UserRole::Editor));
    assert_eq!(rows[0].plan_id, Some(2));
    assert_eq!(rows[1].line, 3);
    assert_eq!(rows[1].password, None);
}

#[test]
fn every_bad_line_is_named_with_its_field() {
    let errors = errors_of(
        "username,email,role,status,expiration_date\n\
         neda,neda@example.ir,,,\n\
         x,not-an-email,boss,,\n\
         omid,omid@example.ir,,Sleeping,2027-02-30\n\
         NEDA,other@example.ir,,,\n",
    );
    assert_eq!(errors.len(), 6, "{errors:#?}");
    assert!(errors[0].starts_with("line 3: username:"), "{errors:#?}");
    assert!(errors[1].starts_with("line 3: email:"));
    assert!(errors[2].starts_with("line 3: role: unknown role 'boss'"));
    assert!(errors[3].starts_with("line 4: status:"));
    assert!(errors[4].starts_with("line 4: expiration_date:"));
    assert_eq!(errors[5], "line 5: username: 'NEDA' is already on line 2");
}

#[test]
fn the_header_must_name_known_columns_and_the_required_ones() {
    let errors = errors_of("user,email,shoe_size\nneda,neda@example.ir,42\n");
    let known = "unknown column (known: username, email, first_name, last_name, mobile, role, \
                 status, plan_id, expiration_date, password;";
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(
        errors[0].starts_with(&format!("line 1: user: {known}")),
        "{errors:#?}"
    );
    assert!(errors[1].starts_with(&format!("line 1: shoe_size: {known}")));
    assert_eq!(errors[2], "line 1: username: required column missing");
}

#[test]
fn only_differing_fields_are_updated() {
    let user: User = serde_json::from_value(serde_json::json!({
        "id": 7, "username": "neda", "email": "neda@example.ir", "first_name": "Neda",
        "role": "Editor", "status": "Active", "expiration_date": "2027-01-31T00:00:00"
    }))
    .expect("a user");
    let rows = rows_of(
        "username,email,first_name,role,status,expiration_date\n\
         neda,neda@example.ir,Neda,Viewer,Active,2027-01-31\n",
    );
    let update = differing_fields(&rows[0], &user);
    assert_eq!(
        update,
        UserUpdate {
            role: Some(UserRole::Viewer),
            ..UserUpdate::default()
        }
    );
}

#[test]
fn an_import_tells_rows_the_server_did_not_answer_from_rows_it_refused() {
    let gone = ApiError::Timeout {
        after: std::time::Duration::from_secs(15),
    };
    let refused = ApiError::from_response(422, br#"{"detail":"username taken"}"#);
    assert!(ImportError::from(gone.clone()).is_unreachable());
    assert!(ImportError::PlanNotSet(gone.clone()).is_unreachable());
    assert!(!ImportError::from(refused.clone()).is_unreachable());
    assert!(!ImportError::NoPassword.is_unreachable());

    let mut summary = Summary::default();
    assert_eq!(summary.outcome(), Ok(()));
    summary
        .failed
        .push((2, "neda".to_string(), ImportError::from(refused)));
    let refused_only = summary.outcome().expect_err("a row failed");
    assert_eq!(refused_only.to_string(), "1 row failed");
    assert!(!refused_only.is_unreachable());
    summary
        .failed
        .push((3, "omid".to_string(), ImportError::PlanNotSet(gone)));
    assert!(summary.outcome().expect_err("rows failed").is_unreachable());
    assert_eq!(
        summary.failed[1].2.to_string(),
        "created, but the plan was not set: no answer within 15s"
    );
}

#[test]
fn lines_are_the_files_own_with_crlf_ends_and_blank_lines() {
    let crlf = "username,email,first_name\r\n\
                n.one,n.one@example.ir,A\r\n\
                \r\n\
                n.two,bad-email,B\r\n\
                \r\n\
                \r\n\
                n.three,n.three@example.ir,\"two\r\nlines\"\r\n\
                n.four,also-bad,D\r\n";
    let errors = errors_of(crlf);
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(errors[0].starts_with("line 4: email:"), "{errors:#?}");
    // A quoted cell spanning two lines (which a name may not hold): the next row starts two
    // lines later.
    assert!(
        errors[1].starts_with("line 7: first_name: 'two␍␊lines'"),
        "{errors:#?}"
    );
    assert!(errors[2].starts_with("line 9: email:"), "{errors:#?}");
    let lf = crlf.replace("\r\n", "\n");
    let lf_errors = errors_of(&lf);
    assert_eq!(lf_errors[1], errors[1].replace("␍", ""));
    assert_eq!((&lf_errors[0], &lf_errors[2]), (&errors[0], &errors[2]));
    let lone_returns = errors_of(&lf.replace('\n', "\r"));
    assert_eq!(
        (&lone_returns[0], &lone_returns[2]),
        (&errors[0], &errors[2])
    );
}

#[test]
fn a_byte_order_mark_and_headers_in_any_case_are_read() {
    let rows = rows_of("\u{feff}Username,E-Mail,First Name\r\nneda,neda@example.ir,Neda\r\n");
    let rows_without_dash = rows_of("USERNAME,EMAIL\nneda,neda@example.ir\n");
    assert_eq!(rows[0].first_name.as_deref(), Some("Neda"));
    assert_eq!(rows[0].line, 2);
    assert_eq!(rows_without_dash[0].email, "neda@example.ir");
}

#[test]
fn a_semicolon_or_tab_separated_file_is_read_as_such() {
    for separator in [";", "\t"] {
        let text = "username,email,role,first_name\nneda,neda@example.ir,editor,Neda\n"
            .replace(',', separator);
        let checked = parse(text.as_bytes(), ReadOptions::default()).expect("read");
        assert_eq!(checked.separator, separator.as_bytes()[0]);
        assert_eq!(checked.rows[0].role, Some(UserRole::Editor));
    }
    // A header no separator makes sense of says what it looks like.
    let errors = errors_of("user;mail\nneda;neda@example.ir\n");
    assert!(
        errors[0].contains("this looks like a ;-separated file"),
        "{errors:#?}"
    );
}

#[test]
fn a_latin1_file_is_one_error_asking_for_utf8() {
    let latin1 = b"username,email,first_name\nn.one,n.one@example.ir,Jos\xe9\nn.two,n.two@example.ir,Andr\xe9\n";
    let error = parse(latin1, ReadOptions::default()).expect_err("not UTF-8");
    assert_eq!(
        error,
        ReadError::NotUtf8 {
            line: 2,
            byte: 0xE9
        }
    );
    let text = error.to_string();
    assert!(text.contains("'é' in Latin-1"), "{text}");
    assert!(text.contains("Save it as UTF-8"), "{text}");
    let utf16 = b"\xff\xfeu\0s\0";
    assert_eq!(
        parse(utf16, ReadOptions::default()).expect_err("UTF-16"),
        ReadError::Utf16
    );
}

#[test]
fn our_own_export_reads_back_with_its_guard_taken_off() {
    use crate::transfer::output::{self, Format};
    let exported = serde_json::json!([{
        "id": 41, "username": "neda", "email": "neda@example.ir", "first_name": "=cmd",
        "last_name": "-Ahmadi", "mobile": "+98 9120123456", "role": "Account Admin",
        "status": "Pending", "plan": {"id": 2, "name": "pro", "display_name": "Pro Plan"},
        "expiration_date": "2027-01-31T00:00:00", "parent_id": 7,
        "created_at": "2025-01-02T03:04:05"
    }]);
    let users = exported.as_array().expect("a list");
    let csv = output::render_list(users, &output::USERS, Format::Csv);
    assert!(csv.contains("'+98 9120123456"), "{csv}");
    let rows = rows_of(&csv);
    let row = &rows[0];
    assert_eq!(row.mobile.as_deref(), Some("+98 9120123456"));
    assert_eq!(row.first_name.as_deref(), Some("=cmd"));
    assert_eq!(row.last_name.as_deref(), Some("-Ahmadi"));
    assert_eq!(row.role, Some(UserRole::AccountAdmin));
    assert_eq!(row.status, Some(UserStatus::Pending));
    assert_eq!(row.plan_id, Some(2));
    assert_eq!(row.expiration_date.as_deref(), Some("2027-01-31"));
    // A number is never guarded, and a quote before anything else is the cell's own.
    assert_eq!(without_formula_guard("'-3"), "'-3");
    assert_eq!(without_formula_guard("'O'Brien"), "'O'Brien");
    assert_eq!(without_formula_guard("'@home"), "@home");
}

#[test]
fn unknown_columns_may_be_left_out_when_asked() {
    let text = "username,email,shoe_size,Notes\nneda,neda@example.ir,42,x\n";
    assert_eq!(errors_of(text).len(), 2);
    let checked = parse(
        text.as_bytes(),
        ReadOptions {
            ignore_unknown_columns: true,
        },
    )
    .expect("read");
    assert_eq!(checked.ignored, ["shoe_size", "Notes"]);
    assert_eq!(checked.rows.len(), 1);
}

#[test]
fn the_servers_rules_refuse_what_the_server_refuses() {
    let long_name = "x".repeat(101);
    let text = format!(
        "username,email,first_name,last_name,mobile,password\n\
         نیما,nima@example.ir,,,,\n\
         n.ctl,n.ctl@example.ir,\u{1b}]52;c;ZXZpbA==\u{7},,,\n\
         n.nul,n.nul@example.ir,,a\u{0}b,,\n\
         n.long,n.long@example.ir,{long_name},,,\n\
         n.mail,n.mail@x..ir,,,,\n\
         n.mob,n.mob@example.ir,,,'+98 912abc,\n\
         n.pass,n.pass@example.ir,,,,short\n"
    );
    let errors = errors_of(&text);
    let expected = [
        "line 2: username: 'نیما': username may contain only English letters",
        "line 3: first_name: 'eve",
        "line 4: last_name: ",
        "line 5: first_name: ",
        "line 6: email: 'n.mail@x..ir': value is not a valid email address",
        "line 7: mobile: '+98 912abc': value is not a valid mobile number",
        "line 8: password: password must have at least 8 characters",
    ];
    assert_eq!(errors.len(), expected.len(), "{errors:#?}");
    for (error, start) in errors.iter().zip(expected) {
        let start = start.replace("'eve", "'⟨U+001B⟩]52;c;ZXZpbA==⟨U+0007⟩'");
        assert!(
            error.starts_with(&start),
            "{error} does not start with {start}"
        );
    }
    assert!(errors[1].ends_with("String should not contain control characters"));
    assert!(errors[2].contains("⟨U+0000⟩") && errors[2].contains("control characters"));
    assert!(errors[3].contains("…': String should have at most 100 characters"));
    assert!(!errors[6].contains("short"), "a password is never shown");
    for error in &errors {
        assert!(crate::clean::is_clean(error), "{error:?}");
    }
}

#[test]
fn an_email_given_twice_in_any_case_is_found_before_anything_is_sent() {
    let errors = errors_of(
        "username,email\n\
         h.one,h.one@example.ir\n\
         h.two,H.ONE@example.ir\n",
    );
    assert_eq!(
        errors,
        ["line 3: email: 'H.ONE@example.ir' is already on line 2"]
    );
}

#[test]
fn a_row_with_more_cells_than_the_header_is_refused_and_blank_rows_are_not_rows() {
    let errors = errors_of("username,email\nneda,neda@example.ir,extra\n");
    assert!(errors[0].starts_with("line 2: row: 3 cells, but the header names 2"));
    let rows =
        rows_of("username,email,role\nneda,neda@example.ir\n,,\n\nomid,omid@example.ir,viewer\n");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].line, 5);
}

#[test]
fn grants_are_gathered_by_role_system_admin_first() {
    let rows = rows_of(
        "username,email,role\n\
         a.one,a.one@example.ir,account admin\n\
         s.one,s.one@example.ir,system admin\n\
         a.two,a.two@example.ir,account-admin\n\
         v.one,v.one@example.ir,\n",
    );
    let plans: Vec<Plan> = rows.into_iter().map(Plan::Create).collect();
    let grants = grants(&plans);
    assert_eq!(grants.len(), 2);
    assert_eq!(grants[0].grant.role, UserRole::SystemAdmin);
    assert_eq!(
        grants[0].warning(),
        "⚠ s.one will be System Admin: full control of every user, System Admins included, \
         and of who else becomes one"
    );
    assert!(
        grants[1]
            .warning()
            .starts_with("⚠ 2 users (a.one, a.two) will be Account Admin"),
        "{}",
        grants[1].warning()
    );
}
