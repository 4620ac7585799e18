//! The console's edit and create forms: any typed text (one line per field) is checked, and
//! what a save would send is built, without a panic.
#![no_main]

use geobox_api::{ApiError, User};
use geobox_users::console::form::{UserForm, check};
use tui_input::Input;

fn fill(form: &mut UserForm, lines: &[&str]) {
    for (field, line) in form.fields().iter().zip(lines.iter().cycle()) {
        form.inputs.insert(*field, Input::new((*line).to_string()));
    }
}

fn exercise(form: &mut UserForm, bytes: &[u8]) {
    for field in form.fields() {
        let _ = check(form, *field);
        let _ = form.shown(*field);
    }
    if form.check_all() {
        if form.is_create() {
            let _ = form.new_user();
        } else {
            let _ = form.update();
        }
    }
    let _ = form.changes();
    let _ = form.is_changed();
    form.place_server_errors(&ApiError::from_response(422, bytes));
}

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.split('\n').collect();
    let mut create = UserForm::create();
    fill(&mut create, &lines);
    exercise(&mut create, bytes);
    let user: User = serde_json::from_value(serde_json::json!({
        "id": 7, "username": "ali", "email": "ali@example.ir", "role": "Viewer",
        "status": "Active", "expiration_date": "2026-01-01"
    }))
    .expect("a user");
    let mut edit = UserForm::edit(&user, &[]);
    fill(&mut edit, &lines);
    exercise(&mut edit, bytes);
});
