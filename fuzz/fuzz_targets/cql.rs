//! `q`: any text is a 422 or a filter SQLite runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &str| {
    geobox_server::fuzzing::cql(input);
});
