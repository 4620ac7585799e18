//! `search_fields` (and `search`): any text is a 422 or a search SQLite runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &str| {
    geobox_server::fuzzing::search_fields(input);
});
