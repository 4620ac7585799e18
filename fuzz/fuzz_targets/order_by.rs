//! `order_by`: any text is a 422 or known columns.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &str| {
    geobox_users::server::fuzzing::order_by(input);
});
