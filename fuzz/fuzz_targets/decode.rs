//! What the client makes of an answer: an error body of any status, and a body read as the
//! users, sessions and plans it should hold. Nothing panics, whatever the bytes.
#![no_main]

use geobox_api::{ApiError, Plan, Session, User};

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    for status in [400, 401, 403, 404, 413, 422, 429, 500, 503] {
        let error = ApiError::from_response(status, bytes);
        let _ = error.to_string();
        let _ = error.status();
        let _ = error.field_error("email");
    }
    if let Ok(users) = serde_json::from_slice::<Vec<User>>(bytes) {
        for user in &users {
            let _ = user.full_name();
            let _ = serde_json::to_string(user);
        }
    }
    if let Ok(user) = serde_json::from_slice::<User>(bytes) {
        let _ = user.full_name();
    }
    let _ = serde_json::from_slice::<Vec<Session>>(bytes);
    let _ = serde_json::from_slice::<Vec<Plan>>(bytes);
    let _ = serde_json::from_slice::<Plan>(bytes);
});
