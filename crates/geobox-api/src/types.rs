//! The Geobox wire types: users, sessions, plans and their enumerations.
//!
//! Every object keeps the fields this crate does not know in `extra`, so a newer server never
//! breaks a listing and the console can show what it sent. Enumerations accept unknown strings
//! (`Other`) for the same reason.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::error::ParseError;

/// Defines a wire enumeration with its exact strings, an `Other` fallback for unknown values,
/// and case-insensitive parsing of user input (`active`, `account-admin`, `"Account Admin"`).
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)+
            /// A value sent by a server that this client does not know.
            Other(String),
        }

        impl $name {
            /// Every known value, in the order the API documents them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire strings of [`Self::ALL`], in the same order (for `const` contexts).
            pub const WIRE: &'static [&'static str] = &[$($wire),+];

            /// The exact string on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Other(other) => other,
                }
            }

            /// Parses the exact wire string; anything else becomes `Other`.
            pub fn from_wire(value: &str) -> Self {
                match value {
                    $($wire => $name::$variant,)+
                    other => $name::Other(other.to_string()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ParseError;

            /// Lenient parsing for people: case, spaces, dashes and underscores do not matter.
            fn from_str(input: &str) -> Result<Self, Self::Err> {
                let wanted = normalize_enum_input(input);
                $name::ALL
                    .iter()
                    .find(|known| normalize_enum_input(known.as_str()) == wanted)
                    .cloned()
                    .ok_or_else(|| ParseError::Unknown {
                        what: stringify!($name).trim_start_matches("User").to_lowercase(),
                        input: input.to_string(),
                        expected: $name::WIRE,
                    })
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            /// Never fails on a value: a number or an object where a string belongs becomes
            /// `Other` with its JSON text, so one odd user cannot break a listing.
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Ok(match Value::deserialize(deserializer)? {
                    Value::String(text) => $name::from_wire(&text),
                    other => $name::Other(other.to_string()),
                })
            }
        }
    };
}

/// The day of a date or timestamp as the server writes it (`2026-12-11` of
/// `2026-12-11T00:00:00Z`), or the whole text when it does not start with a real day: what a
/// screen shows and what a recorded value compares by.
pub fn date_part(text: &str) -> &str {
    match text.get(..10) {
        Some(day) if chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_ok() => day,
        _ => text,
    }
}

fn normalize_enum_input(input: &str) -> String {
    input
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_' | '"' | '\''))
        .flat_map(char::to_lowercase)
        .collect()
}

wire_enum!(
    /// A user's role. Only a System Admin may make someone a System Admin.
    UserRole {
        SystemAdmin => "System Admin",
        AccountAdmin => "Account Admin",
        Publisher => "Publisher",
        Editor => "Editor",
        Viewer => "Viewer",
    }
);

wire_enum!(
    /// A user's account status.
    UserStatus {
        New => "New",
        Pending => "Pending",
        Active => "Active",
        Disabled => "Disabled",
    }
);

impl UserRole {
    /// Whether this role may list, create, update and delete other users.
    pub fn manages_users(&self) -> bool {
        matches!(self, UserRole::SystemAdmin | UserRole::AccountAdmin)
    }

    /// Whether someone with the `caller` role may give this role: only a System Admin may
    /// make someone a System Admin.
    pub fn grantable_by(&self, caller: Option<&UserRole>) -> bool {
        *self != UserRole::SystemAdmin || caller == Some(&UserRole::SystemAdmin)
    }
}

/// A Geobox user as the server sends it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    #[serde(default, deserialize_with = "lenient_string")]
    pub username: String,
    #[serde(default, deserialize_with = "lenient_text")]
    pub email: Option<String>,
    /// Always serialized (null when empty): the official SDK breaks without the key.
    #[serde(default, deserialize_with = "lenient_text")]
    pub first_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub last_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub mobile: Option<String>,
    #[serde(default)]
    pub role: Option<UserRole>,
    #[serde(default)]
    pub status: Option<UserStatus>,
    /// A plan object; anything else a server sends here (an empty object, an id) reads as none.
    #[serde(default, deserialize_with = "lenient_plan")]
    pub plan: Option<Plan>,
    /// As the server sent it: a date (`2026-12-11`) or a timestamp.
    #[serde(default, deserialize_with = "lenient_text")]
    pub expiration_date: Option<String>,
    #[serde(default)]
    pub parent_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub created_at: Option<String>,
    /// Fields this client does not know, kept in the server's order.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl User {
    /// "First Last", or whichever of the two is present, or "".
    pub fn full_name(&self) -> String {
        let parts: Vec<&str> = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .collect();
        parts.join(" ")
    }
}

/// A signed-in session of a user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub uuid: String,
    #[serde(default, deserialize_with = "lenient_text")]
    pub agent: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub ip: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub created_at: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub last_seen: Option<String>,
    /// Set by servers that know which session the request came from (the embedded one does).
    #[serde(default)]
    pub current: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A subscription plan with its quotas.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub id: i64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    /// `#rrggbb`
    #[serde(default)]
    pub plan_color: Option<String>,
    #[serde(default, deserialize_with = "lenient_number")]
    pub storage: Option<i64>,
    #[serde(default, deserialize_with = "lenient_number")]
    pub concurrent_tasks: Option<i64>,
    #[serde(default, deserialize_with = "lenient_number")]
    pub daily_api_calls: Option<i64>,
    #[serde(default, deserialize_with = "lenient_number")]
    pub monthly_api_calls: Option<i64>,
    #[serde(default, deserialize_with = "lenient_number")]
    pub daily_traffic: Option<i64>,
    #[serde(default, deserialize_with = "lenient_number")]
    pub monthly_traffic: Option<i64>,
    #[serde(default, deserialize_with = "lenient_number")]
    pub daily_process: Option<i64>,
    #[serde(default, deserialize_with = "lenient_number")]
    pub monthly_process: Option<i64>,
    #[serde(default, deserialize_with = "lenient_number")]
    pub number_of_days: Option<i64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Plan {
    /// The name to show people: `display_name`, else `name`, else `plan <id>`.
    pub fn label(&self) -> String {
        self.display_name
            .as_deref()
            .or(self.name.as_deref())
            .filter(|name| !name.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| format!("plan {}", self.id))
    }
}

/// Accepts an integer, a float (truncated), a numeric string or null; anything else is `None`,
/// so a quota in an unexpected shape never fails a whole listing.
fn lenient_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    let value = Option::<Value>::deserialize(deserializer)?;
    Ok(match value {
        Some(Value::Number(number)) => number
            .as_i64()
            .or_else(|| number.as_f64().map(|float| float as i64)),
        Some(Value::String(text)) => text.trim().parse().ok(),
        _ => None,
    })
}

/// Text as sent; a number or boolean becomes its JSON text (a mobile sent as a number), so
/// the shape of one field never fails a whole listing.
fn lenient_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let value = Option::<Value>::deserialize(deserializer)?;
    Ok(match value {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text),
        Some(other) => Some(other.to_string()),
    })
}

fn lenient_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    lenient_text(deserializer).map(Option::unwrap_or_default)
}

fn lenient_plan<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Plan>, D::Error> {
    let value = Option::<Value>::deserialize(deserializer)?;
    Ok(value.and_then(|value| serde_json::from_value(value).ok()))
}

/// A new user with every field, as a form fills it in (`POST users/`). The password is plain
/// here; the client obfuscates it on the wire. Blank names and mobile are left out of the
/// request (see [`NewUserFields`], which also leaves the status to the server).
#[derive(Clone, PartialEq)]
pub struct NewUser {
    pub username: String,
    pub email: String,
    pub password: crate::Secret,
    pub role: UserRole,
    pub first_name: String,
    pub last_name: String,
    pub mobile: String,
    pub status: UserStatus,
}

impl fmt::Debug for NewUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("email", &self.email)
            .field("password", &self.password)
            .field("role", &self.role)
            .field("first_name", &self.first_name)
            .field("last_name", &self.last_name)
            .field("mobile", &self.mobile)
            .field("status", &self.status)
            .finish()
    }
}

/// The body of `POST users/`: the fields the contract needs, and of the optional ones only
/// those given. The password is plain here; the client obfuscates it on the wire (and `Debug`
/// shows it as `Secret(***)`).
#[derive(Clone, Debug, PartialEq)]
pub struct NewUserFields {
    pub username: String,
    pub email: String,
    pub password: crate::Secret,
    pub role: UserRole,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub mobile: Option<String>,
    pub status: Option<UserStatus>,
}

/// A blank name or mobile of a complete [`NewUser`] (an empty form field) is one not given.
impl From<&NewUser> for NewUserFields {
    fn from(new_user: &NewUser) -> Self {
        let given = |text: &str| Some(text.to_string()).filter(|text| !text.trim().is_empty());
        NewUserFields {
            username: new_user.username.clone(),
            email: new_user.email.clone(),
            password: new_user.password.clone(),
            role: new_user.role.clone(),
            first_name: given(&new_user.first_name),
            last_name: given(&new_user.last_name),
            mobile: given(&new_user.mobile),
            status: Some(new_user.status.clone()),
        }
    }
}

impl From<NewUser> for NewUserFields {
    fn from(new_user: NewUser) -> Self {
        NewUserFields::from(&new_user)
    }
}

impl NewUserFields {
    /// The JSON body with the password obfuscated; optional fields not given are absent.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert("username".into(), Value::from(self.username.as_str()));
        body.insert("email".into(), Value::from(self.email.as_str()));
        body.insert(
            "password".into(),
            Value::from(crate::obfuscate_password(self.password.expose())),
        );
        body.insert("role".into(), Value::from(self.role.as_str()));
        let optional = [
            ("first_name", self.first_name.as_deref()),
            ("last_name", self.last_name.as_deref()),
            ("mobile", self.mobile.as_deref()),
            ("status", self.status.as_ref().map(UserStatus::as_str)),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                body.insert(key.into(), Value::from(value));
            }
        }
        body
    }
}

/// A change to one optional field: left alone, set, or cleared (sent as `null`).
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Patch<T> {
    #[default]
    Keep,
    Set(T),
    Clear,
}

impl<T> Patch<T> {
    pub fn is_keep(&self) -> bool {
        matches!(self, Patch::Keep)
    }
}

/// The fields of `PUT users/{id}/`: only what changes is sent.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserUpdate {
    pub username: Option<String>,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub status: Option<UserStatus>,
    pub role: Option<UserRole>,
    pub mobile: Patch<String>,
    pub plan_id: Patch<i64>,
    /// `YYYY-MM-DD`
    pub expiration_date: Patch<String>,
}

impl UserUpdate {
    /// Whether nothing would be sent.
    pub fn is_empty(&self) -> bool {
        self.to_json().is_empty()
    }

    /// The JSON body: set fields with their value, cleared ones as `null`, the rest absent.
    pub fn to_json(&self) -> Map<String, Value> {
        fn patch<T: Serialize>(body: &mut Map<String, Value>, key: &str, value: &Patch<T>) {
            match value {
                Patch::Keep => {}
                Patch::Set(value) => {
                    body.insert(
                        key.to_string(),
                        serde_json::to_value(value).unwrap_or(Value::Null),
                    );
                }
                Patch::Clear => {
                    body.insert(key.to_string(), Value::Null);
                }
            }
        }
        fn set<T: Serialize>(body: &mut Map<String, Value>, key: &str, value: &Option<T>) {
            if let Some(value) = value {
                body.insert(
                    key.to_string(),
                    serde_json::to_value(value).unwrap_or(Value::Null),
                );
            }
        }
        let mut body = Map::new();
        set(&mut body, "username", &self.username);
        set(&mut body, "email", &self.email);
        set(&mut body, "first_name", &self.first_name);
        set(&mut body, "last_name", &self.last_name);
        set(&mut body, "status", &self.status);
        set(&mut body, "role", &self.role);
        patch(&mut body, "mobile", &self.mobile);
        patch(&mut body, "plan_id", &self.plan_id);
        patch(&mut body, "expiration_date", &self.expiration_date);
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_of_a_date_or_timestamp_and_nothing_made_up() {
        assert_eq!(date_part("2026-12-11T00:00:00Z"), "2026-12-11");
        assert_eq!(date_part("2026-12-11 08:30"), "2026-12-11");
        assert_eq!(date_part("2026-12-11"), "2026-12-11");
        assert_eq!(date_part("2026-13-45T00:00:00Z"), "2026-13-45T00:00:00Z");
        assert_eq!(date_part("soon"), "soon");
        assert_eq!(date_part(""), "");
    }

    #[test]
    fn roles_parse_leniently_and_print_exactly() {
        assert_eq!(
            "account-admin".parse::<UserRole>(),
            Ok(UserRole::AccountAdmin)
        );
        assert_eq!(
            "\"Account Admin\"".parse::<UserRole>(),
            Ok(UserRole::AccountAdmin)
        );
        assert_eq!(
            "system_admin".parse::<UserRole>(),
            Ok(UserRole::SystemAdmin)
        );
        assert_eq!("ACTIVE".parse::<UserStatus>(), Ok(UserStatus::Active));
        assert!(
            "owner"
                .parse::<UserRole>()
                .expect_err("unknown role")
                .to_string()
                .contains("Viewer")
        );
        assert_eq!(
            "sleeping"
                .parse::<UserStatus>()
                .expect_err("unknown status")
                .to_string(),
            "unknown status 'sleeping': expected one of New, Pending, Active, Disabled"
        );
        assert_eq!(UserRole::AccountAdmin.to_string(), "Account Admin");
    }

    #[test]
    fn unknown_enum_values_and_fields_survive_a_round_trip() {
        let json = serde_json::json!({
            "id": 7, "username": "x", "first_name": null, "last_name": "Y",
            "role": "Auditor", "status": "Active", "tenant_zone": "ir-1",
        });
        let user: User = serde_json::from_value(json.clone()).expect("decodes");
        assert_eq!(user.role, Some(UserRole::Other("Auditor".into())));
        let odd: User = serde_json::from_value(serde_json::json!({"id": 8, "status": 3}))
            .expect("a non-string status still decodes");
        assert_eq!(odd.status, Some(UserStatus::Other("3".into())));
        let odd: User = serde_json::from_value(
            serde_json::json!({"id": 9, "username": null, "mobile": 9120123456_i64}),
        )
        .expect("odd text fields still decode");
        assert_eq!(
            (odd.username.as_str(), odd.mobile.as_deref()),
            ("", Some("9120123456"))
        );
        assert_eq!(user.extra.get("tenant_zone"), Some(&Value::from("ir-1")));
        let back = serde_json::to_value(&user).expect("encodes");
        assert_eq!(back["tenant_zone"], "ir-1");
        assert_eq!(back["role"], "Auditor");
        assert!(
            back.get("first_name").is_some(),
            "first_name key is always sent"
        );
    }

    #[test]
    fn update_sends_only_changes_and_nulls_for_clears() {
        let update = UserUpdate {
            email: Some("a@b.ir".into()),
            mobile: Patch::Clear,
            plan_id: Patch::Set(3),
            ..Default::default()
        };
        let body = Value::Object(update.to_json());
        assert_eq!(
            body,
            serde_json::json!({"email": "a@b.ir", "mobile": null, "plan_id": 3})
        );
        assert!(UserUpdate::default().is_empty());
    }

    #[test]
    fn a_new_user_sends_only_the_optional_fields_given() {
        let fields = NewUserFields {
            username: "neda".into(),
            email: "neda@example.ir".into(),
            password: "P@ssw0rd".into(),
            role: UserRole::Viewer,
            first_name: Some("Neda".into()),
            last_name: None,
            mobile: None,
            status: None,
        };
        assert_eq!(
            Value::Object(fields.to_json()),
            serde_json::json!({"username": "neda", "email": "neda@example.ir",
                "password": "empZWV0aWE4=", "role": "Viewer", "first_name": "Neda"})
        );
        let complete = NewUser {
            username: "neda".into(),
            email: "neda@example.ir".into(),
            password: "P@ssw0rd".into(),
            role: UserRole::Viewer,
            first_name: "Neda".into(),
            last_name: " ".into(),
            mobile: String::new(),
            status: UserStatus::Active,
        };
        let body = NewUserFields::from(&complete).to_json();
        assert_eq!(body.get("status"), Some(&Value::from("Active")));
        assert!(!body.contains_key("last_name") && !body.contains_key("mobile"));
        assert!(!format!("{:?}", NewUserFields::from(complete)).contains("P@ssw0rd"));
    }

    #[test]
    fn plan_quotas_tolerate_odd_shapes() {
        let plan: Plan = serde_json::from_value(serde_json::json!({
            "id": 1, "name": "pro", "storage": 1.5e9, "daily_api_calls": "1000", "monthly_traffic": {"x": 1}
        }))
        .expect("decodes");
        assert_eq!(plan.storage, Some(1_500_000_000));
        assert_eq!(plan.daily_api_calls, Some(1000));
        assert_eq!(plan.monthly_traffic, None);
        assert_eq!(plan.label(), "pro");
    }
}
