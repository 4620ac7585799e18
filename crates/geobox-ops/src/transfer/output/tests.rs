use super::*;
use serde_json::json;

fn users() -> Vec<Value> {
    vec![
        json!({"id": 1, "username": "ali", "first_name": "Ali", "last_name": "Rezaei",
               "email": "ali@example.ir", "role": "Account Admin", "status": "Active",
               "plan": {"id": 2, "name": "pro", "display_name": "Pro"}, "zone": "x"}),
        json!({"id": 12, "username": "sara", "first_name": null, "last_name": "Karimi, \"SK\"",
               "role": "Auditor", "status": "New", "plan": null}),
    ]
}

#[test]
fn tables_align_and_show_plan_names() {
    let out = render_list(&users(), &USERS, Format::Table);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("ID  USERNAME  NAME "), "{out}");
    assert!(lines[1].starts_with("1   ali       Ali Rezaei "), "{out}");
    assert!(lines[1].contains("Pro"), "{out}");
    assert!(lines[2].contains("Auditor"), "{out}");
    let status_at = lines[0].find("STATUS").expect("header");
    assert_eq!(&lines[1][status_at..status_at + 6], "Active");
}

#[test]
fn csv_has_a_header_and_quotes_properly() {
    let out = render_list(&users(), &USERS, Format::Csv);
    let lines: Vec<&str> = out.split('\n').collect();
    assert_eq!(
        lines[0],
        "id,username,email,first_name,last_name,mobile,role,status,plan_id,plan,expiration_date,parent_id,created_at"
    );
    assert!(lines[1].starts_with("1,ali,ali@example.ir,Ali,Rezaei,,Account Admin,Active,2,Pro,"));
    assert!(
        lines[2].contains(",\"Karimi, \"\"SK\"\"\","),
        "{}",
        lines[2]
    );
}

#[test]
fn csv_lines_end_in_a_newline_unless_crlf_is_asked_for() {
    let plain = render_list_styled(
        &users(),
        &USERS,
        Format::Csv,
        &Style {
            line_ends: LineEnds::Lf,
            ..Style::default()
        },
    );
    assert!(!plain.contains('\r'), "{plain:?}");
    assert_eq!(plain.matches('\n').count(), 3);
    let rfc = render_list_styled(
        &users(),
        &USERS,
        Format::Csv,
        &Style {
            line_ends: LineEnds::CrLf,
            ..Style::default()
        },
    );
    assert_eq!(rfc.matches("\r\n").count(), 3, "{rfc:?}");
    assert_eq!(rfc.replace("\r\n", "\n"), plain);
}

#[test]
fn tables_and_csv_can_leave_out_their_header() {
    let style = Style {
        headers: false,
        ..Style::default()
    };
    let table = render_list_styled(&users(), &USERS, Format::Table, &style);
    assert!(table.starts_with("1   ali"), "{table}");
    assert_eq!(table.lines().count(), 2);
    let csv = render_list_styled(&users(), &USERS, Format::Csv, &style);
    assert!(csv.starts_with("1,ali,"), "{csv}");
}

fn hostile_user() -> Value {
    json!({"id": 5, "username": "eve\u{7}", "first_name": "\u{1b}]52;c;ZXZpbA==\u{7}",
           "last_name": "=HYPERLINK(\"http://evil.example\",\"click\")",
           "email": "@SUM(1+1)", "mobile": "+98 9120123456", "role": "-2+3",
           "status": "Active\r\u{9b}31m", "parent_id": -3, "agent": "curl\u{202e}gpj"})
}

fn terminal_safe(text: &str) -> bool {
    !text
        .chars()
        .any(|c| c != '\n' && crate::clean::needs_showing(c))
}

#[test]
fn csv_carries_no_control_characters() {
    let out = render_list(&[hostile_user()], &USERS, Format::Csv);
    assert!(terminal_safe(&out), "{out:?}");
    assert!(out.contains("\u{FFFD}]52;c;ZXZpbA==\u{FFFD}"), "{out:?}");
    assert_eq!(
        out.matches('\n').count(),
        2,
        "one header, one record: {out:?}"
    );
}

#[test]
fn csv_cells_that_start_a_formula_open_as_text() {
    let out = render_list(&[hostile_user()], &USERS, Format::Csv);
    let mut reader = csv::ReaderBuilder::new().from_reader(out.as_bytes());
    let headers = reader.headers().expect("header").clone();
    let record = reader
        .records()
        .next()
        .expect("a record")
        .expect("valid csv");
    let cell = |name: &str| {
        let index = headers.iter().position(|h| h == name).expect(name);
        record.get(index).expect("cell").to_string()
    };
    assert_eq!(
        cell("last_name"),
        "'=HYPERLINK(\"http://evil.example\",\"click\")"
    );
    assert_eq!(cell("email"), "'@SUM(1+1)");
    assert_eq!(cell("mobile"), "'+98 9120123456");
    assert_eq!(cell("role"), "'-2+3");
    assert_eq!(cell("parent_id"), "-3", "a plain number is no formula");
    assert_eq!(cell("username"), "eve\u{FFFD}");
}

#[test]
fn tables_carry_no_control_characters() {
    for out in [
        render_list(&[hostile_user()], &USERS, Format::Table),
        render_one(&hostile_user(), &USERS, Format::Table),
        render_list(&[hostile_user()], &SESSIONS, Format::Table),
    ] {
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
        assert!(terminal_safe(&out), "{out:?}");
    }
    let out = render_one(&hostile_user(), &USERS, Format::Table);
    assert!(out.contains("curl⟨U+202E⟩gpj"), "shown, not obeyed: {out}");
}

#[test]
fn json_and_jsonl_escape_what_a_terminal_must_not_receive() {
    for format in [Format::Json, Format::Jsonl] {
        let out = render_list(&[hostile_user()], &USERS, format);
        assert!(terminal_safe(&out), "{format:?}: {out:?}");
        assert!(out.contains(r"Active\r\u009b31m"), "{out}");
        let first_line = out.lines().next().expect("a line");
        let back: Value = if format == Format::Json {
            serde_json::from_str(&out).expect("json")
        } else {
            Value::Array(vec![serde_json::from_str(first_line).expect("json")])
        };
        assert_eq!(back, Value::Array(vec![hostile_user()]), "the same data");
    }
}

#[test]
fn json_passes_everything_through() {
    let out = render_list(&users(), &USERS, Format::Json);
    let back: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(back, Value::Array(users()));
}

#[test]
fn one_object_shows_every_field_and_no_escape_codes() {
    let user =
        json!({"id": 3, "username": "x\u{1b}[2J", "plan": {"name": "basic"}, "new_field": [1]});
    let out = render_one(&user, &USERS, Format::Table);
    assert!(out.contains("new_field  [1]"), "{out}");
    assert!(out.contains("plan       basic"), "{out}");
    assert!(!out.contains('\u{1b}'));
}

#[test]
fn storage_reads_in_binary_units_in_tables_only() {
    let plan = json!({"id": 2, "name": "pro", "storage": 10_737_418_240_u64});
    let table = render_list(std::slice::from_ref(&plan), &PLANS, Format::Table);
    assert!(table.contains("10 GiB"), "{table}");
    let csv = render_list(std::slice::from_ref(&plan), &PLANS, Format::Csv);
    assert!(csv.contains(",10737418240,"), "{csv}");
    for (count, shown) in [
        (0_u64, "0 B"),
        (512, "512 B"),
        (1536, "1.5 KiB"),
        (1_000_000_000, "953.7 MiB"),
        (1_099_511_627_776, "1 TiB"),
    ] {
        assert_eq!(bytes(Some(&json!(count))), shown);
    }
    assert_eq!(bytes(Some(&json!("lots"))), "lots");
}

#[test]
fn pages_streamed_read_as_one_list() {
    for format in [Format::Csv, Format::Table, Format::Json, Format::Jsonl] {
        let pages = users();
        let mut streamed = render_page(&pages[..1], &USERS, format, true);
        streamed.push_str(&render_page(&pages[1..], &USERS, format, false));
        streamed.push_str(&list_end(&USERS, format, 2));
        match format {
            Format::Json => {
                let parsed: Value = serde_json::from_str(&streamed).expect("one array");
                assert_eq!(parsed, Value::Array(pages.clone()));
            }
            Format::Jsonl => {
                let lines: Vec<Value> = streamed
                    .lines()
                    .map(|line| serde_json::from_str(line).expect("an object a line"))
                    .collect();
                assert_eq!(lines, pages);
            }
            _ => {
                let lines: Vec<&str> = streamed.lines().collect();
                assert_eq!(lines.len(), 3, "{streamed}");
                let headers = lines
                    .iter()
                    .filter(|line| line.starts_with("ID ") || line.starts_with("id,"));
                assert_eq!(headers.count(), 1, "{streamed}");
                assert!(lines[2].contains("sara"), "{streamed}");
            }
        }
    }
    assert_eq!(list_end(&USERS, Format::Json, 0), "[]\n");
}
