//! The password encoding the Geobox API expects wherever a request carries a user's password
//! (create, change-password): every code point XOR 42, as UTF-8, then padded base64.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Encodes a password for the wire.
pub fn obfuscate_password(password: &str) -> String {
    let xored: String = password.chars().map(xor_char).collect();
    STANDARD.encode(xored.as_bytes())
}

/// Reverses [`obfuscate_password`]; `None` when the input is not base64 of UTF-8.
pub fn deobfuscate_password(encoded: &str) -> Option<String> {
    let bytes = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    Some(text.chars().map(xor_char).collect())
}

fn xor_char(c: char) -> char {
    // XOR 42 only touches the low six bits, so a valid scalar value never becomes a surrogate:
    // surrogates are 0xD800..=0xDFFF and flipping bits below 0x40 cannot cross that range.
    char::from_u32(u32::from(c) ^ 42).unwrap_or(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_contract_test_vector() {
        assert_eq!(obfuscate_password("P@ssw0rd"), "empZWV0aWE4=");
        assert_eq!(
            deobfuscate_password("empZWV0aWE4=").as_deref(),
            Some("P@ssw0rd")
        );
    }

    #[test]
    fn round_trips_non_ascii() {
        for password in ["رمز-عبور۱۲۳", "pässwörd", "", "emoji🔑"] {
            assert_eq!(
                deobfuscate_password(&obfuscate_password(password)).as_deref(),
                Some(password)
            );
        }
        assert_eq!(deobfuscate_password("not base64!"), None);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn every_password_round_trips(password in any::<String>()) {
                let encoded = obfuscate_password(&password);
                prop_assert_eq!(deobfuscate_password(&encoded), Some(password));
            }

            #[test]
            fn decoding_any_text_never_panics(text in any::<String>()) {
                let _ = deobfuscate_password(&text);
            }

            /// Base64 of arbitrary bytes reaches the UTF-8 and XOR steps: whatever decodes
            /// encodes back to the same bytes.
            #[test]
            fn decoding_any_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
                let encoded = STANDARD.encode(&bytes);
                if let Some(password) = deobfuscate_password(&encoded) {
                    prop_assert_eq!(obfuscate_password(&password), encoded);
                }
            }
        }
    }
}
