//! `order_by`: any text is a 422 or known columns.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &str| {
    geobox_server::fuzzing::order_by(input);
});
