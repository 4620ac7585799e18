//! A user body for create and update: every problem is a 422.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    geobox_server::fuzzing::user_body(bytes);
});
