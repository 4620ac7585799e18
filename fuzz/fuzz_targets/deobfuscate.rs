//! The password obfuscation of the contract (XOR 42, UTF-8, base64): decoding anything never
//! panics, and what is encoded decodes to itself.
#![no_main]

use geobox_api::{deobfuscate_password, obfuscate_password};

libfuzzer_sys::fuzz_target!(|input: &str| {
    if let Some(decoded) = deobfuscate_password(input) {
        assert_eq!(
            deobfuscate_password(&obfuscate_password(&decoded)).as_deref(),
            Some(decoded.as_str())
        );
    }
    assert_eq!(
        deobfuscate_password(&obfuscate_password(input)).as_deref(),
        Some(input)
    );
});
