//! Views: a user list's filters and sort under a name. Four are built in (expiring soon,
//! expired, never signed in, pending); the rest are saved in the config file, per profile, as
//! `[views.NAME]` (or `[profiles.P.views.NAME]`) tables written with `toml_edit`, so the rest
//! of the file and its comments stay as the admin wrote them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use toml_edit::{DocumentMut, Item, Table, value};

use crate::config::{ConfigError, Environment, Overrides, PROFILE_VAR, config_path};
use geobox_api::{ParseError, UserQuery, UserRole, UserStatus, combined_cql};

/// Which users a list shows and in which order (never the page: a view is every match).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct View {
    pub status: Option<UserStatus>,
    /// Sent inside the CQL (the API has no role parameter).
    pub role: Option<UserRole>,
    pub search: Option<String>,
    pub search_fields: Option<String>,
    pub q: Option<String>,
    pub order_by: Option<String>,
    pub user_id: Option<i64>,
    pub shared: Option<bool>,
}

/// The days `expiring-soon` looks ahead when no number is given.
pub const DEFAULT_EXPIRING_DAYS: u32 = 7;

/// The built-in views' names, as the picker and `views list` show them.
pub const BUILT_IN: [&str; 4] = ["expiring-soon", "expired", "never-signed-in", "pending"];

impl View {
    /// This view with every filter `other` sets put over its own (flags override a view).
    pub fn overridden_by(self, other: View) -> View {
        View {
            status: other.status.or(self.status),
            role: other.role.or(self.role),
            search: other.search.or(self.search),
            search_fields: other.search_fields.or(self.search_fields),
            q: other.q.or(self.q),
            order_by: other.order_by.or(self.order_by),
            user_id: other.user_id.or(self.user_id),
            shared: other.shared.or(self.shared),
        }
    }

    /// The first page of this view. A role, or a search beside CQL, travels inside `q`.
    pub fn query(&self) -> UserQuery {
        self.query_with_cql(None)
    }

    /// Like [`View::query`] with one more CQL clause ANDed in (the pager's `id > N`).
    pub fn query_with_cql(&self, extra: Option<&str>) -> UserQuery {
        let own = self.q.as_deref().unwrap_or("");
        let cql = match (own.trim().is_empty(), extra) {
            (_, None) => own.to_string(),
            (true, Some(extra)) => extra.to_string(),
            (false, Some(extra)) => format!("({own}) AND {extra}"),
        };
        let search = self.search.as_deref().unwrap_or("");
        let fields = self.search_fields.as_deref().unwrap_or("");
        let mut query = UserQuery::new();
        match combined_cql(self.role.as_ref(), &cql, search, fields) {
            Some(cql) => query = query.q(cql),
            None => {
                query = query.search(search).search_fields(fields);
            }
        }
        if let Some(status) = &self.status {
            query = query.status(status.clone());
        }
        if let Some(order) = &self.order_by {
            query = query.order_by(order);
        }
        if let Some(user_id) = self.user_id {
            query = query.user_id(user_id);
        }
        if let Some(shared) = self.shared {
            query = query.shared(shared);
        }
        query
    }

    /// `status=Pending role=Editor q="…"`: what the view filters on, for lists and pickers.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (key, text) in self.entries() {
            parts.push(format!("{key}={}", quote_if_spaced(&text)));
        }
        if parts.is_empty() {
            "every user".to_string()
        } else {
            parts.join(" ")
        }
    }

    /// The view's settings as a JSON object (`{"status": "Pending", "user_id": 3}`), for
    /// output a script reads.
    pub fn settings(&self) -> serde_json::Value {
        let mut settings = serde_json::Map::new();
        for (key, text) in self.entries() {
            let value = match key {
                "user_id" => self.user_id.map(serde_json::Value::from),
                "shared" => self.shared.map(serde_json::Value::from),
                _ => Some(serde_json::Value::from(text)),
            };
            if let Some(value) = value {
                settings.insert(key.to_string(), value);
            }
        }
        serde_json::Value::Object(settings)
    }

    /// The view's settings as `key, text` pairs, in the order they are written to the file.
    fn entries(&self) -> Vec<(&'static str, String)> {
        let mut entries = Vec::new();
        let mut push = |key, text: Option<String>| {
            if let Some(text) = text {
                entries.push((key, text));
            }
        };
        push("status", self.status.as_ref().map(ToString::to_string));
        push("role", self.role.as_ref().map(ToString::to_string));
        push("search", self.search.clone());
        push("search_fields", self.search_fields.clone());
        push("q", self.q.clone());
        push("order_by", self.order_by.clone());
        push("user_id", self.user_id.map(|id| id.to_string()));
        push("shared", self.shared.map(|shared| shared.to_string()));
        entries
    }

    fn from_table(table: &Table) -> Result<View, BadSetting> {
        let mut view = View::default();
        for (key, item) in table.iter() {
            let text = || {
                item.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| BadSetting::NotText(key.to_string()))
            };
            match key {
                "status" => view.status = Some(text()?.parse()?),
                "role" => view.role = Some(text()?.parse()?),
                "search" => view.search = Some(text()?),
                "search_fields" => view.search_fields = Some(text()?),
                "q" => view.q = Some(text()?),
                "order_by" => view.order_by = Some(text()?),
                "user_id" => view.user_id = Some(item.as_integer().ok_or(BadSetting::NotANumber)?),
                "shared" => view.shared = Some(item.as_bool().ok_or(BadSetting::NotABool)?),
                other => return Err(BadSetting::UnknownKey(other.to_string())),
            }
        }
        Ok(view)
    }

    fn to_table(&self) -> Table {
        let mut table = Table::new();
        for (key, text) in self.entries() {
            let item = match key {
                "user_id" => self.user_id.map(value),
                "shared" => self.shared.map(value),
                _ => Some(value(text)),
            };
            if let Some(item) = item {
                table.insert(key, item);
            }
        }
        table
    }
}

/// Why a saved view's table cannot be read.
#[derive(Debug, thiserror::Error)]
enum BadSetting {
    #[error("{0} must be a string")]
    NotText(String),
    #[error(transparent)]
    Unknown(#[from] ParseError),
    #[error("user_id must be a number")]
    NotANumber,
    #[error("shared must be true or false")]
    NotABool,
    #[error("unknown key '{0}'")]
    UnknownKey(String),
}

fn quote_if_spaced(text: &str) -> String {
    if text.contains(' ') {
        format!("\"{text}\"")
    } else {
        text.to_string()
    }
}

/// The most days `expiring-soon:N` looks ahead: a century. More is a typo, and would send a
/// date the server cannot read (past 9999-12-31) or overflow the calendar.
pub const MAX_EXPIRING_DAYS: u32 = 36_500;

/// A built-in view by name (`expiring-soon`, `expiring-soon:14`, `expired`,
/// `never-signed-in`, `pending`; case, spaces and underscores do not matter), as of `today`;
/// `None` for any other name, and for a number of days [`try_built_in`] refuses.
pub fn built_in(name: &str, today: NaiveDate) -> Option<View> {
    try_built_in(name, today).ok().flatten()
}

/// Like [`built_in`], but `expiring-soon` with days it cannot take (not a number, more than
/// [`MAX_EXPIRING_DAYS`], or ending after 9999-12-31) is an error that says so.
pub fn try_built_in(name: &str, today: NaiveDate) -> Result<Option<View>, ConfigError> {
    let normal = name.trim().to_lowercase().replace([' ', '_'], "-");
    let (base, days) = match normal.split_once(':') {
        Some((base, days)) => (base.to_string(), Some(days.trim())),
        None => (normal, None),
    };
    let day = |date: NaiveDate| date.format("%Y-%m-%d").to_string();
    let view = match (base.as_str(), days) {
        ("expiring-soon", days) => {
            let days = match days {
                None => DEFAULT_EXPIRING_DAYS,
                Some(days) => expiring_days(name, days)?,
            };
            let until = today
                .checked_add_days(chrono::Days::new(u64::from(days)))
                .filter(|until| *until <= last_day())
                .ok_or_else(|| {
                    ConfigError(format!(
                        "view '{name}': {days} days from {} ends after 9999-12-31",
                        day(today)
                    ))
                })?;
            View {
                q: Some(format!(
                    "expiration_date BETWEEN '{}' AND '{}'",
                    day(today),
                    day(until)
                )),
                order_by: Some("expiration_date A".to_string()),
                ..View::default()
            }
        }
        ("expired", None) => View {
            q: Some(format!("expiration_date < '{}'", day(today))),
            ..View::default()
        },
        ("never-signed-in", None) => View {
            q: Some("last_login IS NULL".to_string()),
            ..View::default()
        },
        ("pending", None) => View {
            status: Some(UserStatus::Pending),
            ..View::default()
        },
        _ => return Ok(None),
    };
    Ok(Some(view))
}

fn expiring_days(name: &str, days: &str) -> Result<u32, ConfigError> {
    days.parse::<u32>()
        .ok()
        .filter(|days| *days <= MAX_EXPIRING_DAYS)
        .ok_or_else(|| {
            ConfigError(format!(
                "view '{name}': expiring-soon looks ahead 0 to {MAX_EXPIRING_DAYS} days \
                 (e.g. expiring-soon:30), not '{days}'"
            ))
        })
}

/// The last day the API's dates reach.
fn last_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// Whether a name belongs to a built-in view (saving under it would be shadowed).
pub fn is_built_in(name: &str) -> bool {
    !matches!(try_built_in(name, NaiveDate::default()), Ok(None))
}

/// Where saved views are kept: the config file and the profile whose table holds them.
#[derive(Clone, Debug)]
pub struct ViewStore {
    pub path: PathBuf,
    pub profile: Option<String>,
}

impl ViewStore {
    /// The config file and profile the CLI resolves (`--profile`, `GEOBOX_PROFILE`).
    pub fn for_overrides(overrides: &Overrides) -> Result<ViewStore, ConfigError> {
        let env = Environment::load()?;
        let path = config_path(&env)
            .ok_or_else(|| ConfigError("no config directory for saved views".to_string()))?;
        let profile = overrides.profile.clone().or_else(|| env.get(PROFILE_VAR));
        Ok(ViewStore { path, profile })
    }

    /// The saved views of this profile, by name.
    pub fn list(&self) -> Result<BTreeMap<String, View>, ConfigError> {
        let document = self.read()?;
        let mut views = BTreeMap::new();
        if let Some(tables) = self.views_table(&document) {
            for (name, item) in tables.iter() {
                let table = item
                    .as_table()
                    .ok_or_else(|| self.error(&format!("view '{name}' is not a table")))?;
                let view = View::from_table(table)
                    .map_err(|problem| self.error(&format!("view '{name}': {problem}")))?;
                views.insert(name.to_string(), view);
            }
        }
        Ok(views)
    }

    /// A saved view, else a built-in one, by name.
    pub fn find(&self, name: &str, today: NaiveDate) -> Result<View, ConfigError> {
        if let Some(view) = self.list()?.remove(name) {
            return Ok(view);
        }
        try_built_in(name, today)?.ok_or_else(|| {
            ConfigError(format!(
                "no view named '{name}' (saved ones: `geobox-users views list`; built in: {})",
                BUILT_IN.join(", ")
            ))
        })
    }

    /// Saves (or replaces) a view; the rest of the file is kept byte for byte.
    pub fn save(&self, name: &str, view: &View) -> Result<(), ConfigError> {
        check_name(name)?;
        let mut document = self.read()?;
        let views = self.views_table_mut(&mut document)?;
        views.insert(name, Item::Table(view.to_table()));
        self.write(&document)
    }

    /// Deletes a saved view; `Ok(false)` when there was none of that name.
    pub fn delete(&self, name: &str) -> Result<bool, ConfigError> {
        let mut document = self.read()?;
        let removed = self.views_table_mut(&mut document)?.remove(name).is_some();
        if removed {
            self.write(&document)?;
        }
        Ok(removed)
    }

    fn read(&self) -> Result<DocumentMut, ConfigError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(error) => return Err(self.error(&format!("cannot read it: {error}"))),
        };
        text.parse::<DocumentMut>()
            .map_err(|error| self.error(error.message()))
    }

    fn views_table<'a>(&self, document: &'a DocumentMut) -> Option<&'a Table> {
        let root = document.as_table();
        let holder = match &self.profile {
            Some(profile) => root.get("profiles")?.as_table()?.get(profile)?.as_table()?,
            None => root,
        };
        holder.get("views")?.as_table()
    }

    fn views_table_mut<'a>(
        &self,
        document: &'a mut DocumentMut,
    ) -> Result<&'a mut Table, ConfigError> {
        let path: Vec<&str> = match &self.profile {
            Some(profile) => vec!["profiles", profile, "views"],
            None => vec!["views"],
        };
        let mut table = document.as_table_mut();
        for key in path {
            let item = table.entry(key).or_insert_with(|| {
                // Only `[views.NAME]` headers are written, not an empty `[views]` above them.
                let mut implicit = Table::new();
                implicit.set_implicit(true);
                Item::Table(implicit)
            });
            table = item
                .as_table_mut()
                .ok_or_else(|| self.error(&format!("'{key}' is not a table")))?;
        }
        Ok(table)
    }

    /// Writes beside the file and renames over it, so a crash never leaves half a config;
    /// the file's permissions are kept (it may hold a secret), a new file is the owner's only.
    fn write(&self, document: &DocumentMut) -> Result<(), ConfigError> {
        let temporary = sibling(&self.path, ".views-tmp");
        let result = (|| {
            use std::io::Write;
            let mut file = crate::paths::create_private(&temporary)?;
            let mut text = document.to_string();
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            if let Ok(metadata) = std::fs::metadata(&self.path) {
                std::fs::set_permissions(&temporary, metadata.permissions())?;
            }
            std::fs::rename(&temporary, &self.path)
        })();
        result.map_err(|error| {
            let _ = std::fs::remove_file(&temporary);
            self.error(&format!("cannot write it: {error}"))
        })
    }

    fn error(&self, message: &str) -> ConfigError {
        ConfigError(format!("config file {}: {message}", self.path.display()))
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

fn check_name(name: &str) -> Result<(), ConfigError> {
    let fine = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_'));
    if !fine {
        return Err(ConfigError(format!(
            "'{name}' is not a view name: use letters, digits, '-' and '_'"
        )));
    }
    if is_built_in(name) {
        return Err(ConfigError(format!(
            "'{name}' is a built-in view; choose another name"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
    }

    #[test]
    fn expiring_soon_looks_seven_days_ahead_or_n() {
        let today = day("2026-12-01");
        let soon = built_in("expiring-soon", today).expect("built in");
        assert_eq!(
            soon.q.as_deref(),
            Some("expiration_date BETWEEN '2026-12-01' AND '2026-12-08'")
        );
        let fortnight = built_in("Expiring soon:14", today).expect("built in");
        assert_eq!(
            fortnight.q.as_deref(),
            Some("expiration_date BETWEEN '2026-12-01' AND '2026-12-15'")
        );
        assert_eq!(built_in("expired:3", today), None);
        assert_eq!(
            built_in("pending", today).and_then(|view| view.status),
            Some(UserStatus::Pending)
        );
        assert!(built_in("never_signed_in", today).is_some());
    }

    #[test]
    fn days_past_a_century_or_the_calendar_are_refused_not_a_panic() {
        let today = day("2026-12-01");
        for name in [
            "expiring-soon:4294967295",
            "expiring-soon:3000000",
            "expiring-soon:36501",
        ] {
            let error = try_built_in(name, today).expect_err(name);
            assert!(error.0.contains("0 to 36500 days"), "{error}");
            assert_eq!(built_in(name, today), None, "{name}");
            assert!(is_built_in(name), "{name} is still a built-in view's name");
        }
        let bad = try_built_in("expiring-soon:soon", today).expect_err("not a number");
        assert!(bad.0.contains("not 'soon'"), "{bad}");
        let century = try_built_in("expiring-soon:36500", today)
            .expect("a century")
            .expect("built in");
        assert_eq!(
            century.q.as_deref(),
            Some("expiration_date BETWEEN '2026-12-01' AND '2126-11-07'")
        );
        let late = try_built_in("expiring-soon:30", day("9999-12-10")).expect_err("past 9999");
        assert!(late.0.contains("after 9999-12-31"), "{late}");
        assert_eq!(try_built_in("gmail", today), Ok(None));
    }

    #[test]
    fn flags_override_a_view_and_a_role_goes_in_the_cql() {
        let saved = View {
            status: Some(UserStatus::Pending),
            role: Some(UserRole::Editor),
            search: Some("ali".into()),
            ..View::default()
        };
        let flags = View {
            status: Some(UserStatus::Active),
            ..View::default()
        };
        let query = saved.overridden_by(flags).query();
        assert_eq!(query.status, Some(UserStatus::Active));
        assert_eq!(
            query.q.as_deref(),
            Some(
                "role = 'Editor' AND (username LIKE '%ali%' OR first_name LIKE '%ali%' OR \
                 last_name LIKE '%ali%' OR email LIKE '%ali%')"
            )
        );
        assert_eq!(query.search, None);
    }

    #[test]
    fn a_plain_search_stays_a_search_until_cql_is_added() {
        let view = View {
            search: Some("ali".into()),
            ..View::default()
        };
        assert_eq!(view.query().search.as_deref(), Some("ali"));
        let paged = view.query_with_cql(Some("id > 40"));
        assert_eq!(paged.search, None);
        assert!(
            paged
                .q
                .as_deref()
                .is_some_and(|q| q.starts_with("(id > 40) AND (username LIKE '%ali%'"))
        );
    }

    const FILE: &str = "# my settings\n\
        [profiles.prod] # the real one\n\
        host = \"https://geobox.example\"\n\
        \n\
        # kept views\n\
        [views.old]\n\
        status = \"Active\"\n";

    fn store_with(text: &str, profile: Option<&str>) -> (tempfile::TempDir, ViewStore) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).expect("written");
        let store = ViewStore {
            path,
            profile: profile.map(str::to_string),
        };
        (dir, store)
    }

    #[test]
    fn saving_and_deleting_keep_the_rest_of_the_file() {
        let (_dir, store) = store_with(FILE, None);
        let view = View {
            role: Some(UserRole::AccountAdmin),
            q: Some("email LIKE '%gmail%'".into()),
            user_id: Some(3),
            ..View::default()
        };
        store.save("gmail", &view).expect("saved");
        let text = std::fs::read_to_string(&store.path).expect("read");
        assert!(text.starts_with(FILE), "{text}");
        assert!(text.contains("[views.gmail]"), "{text}");
        assert_eq!(store.list().expect("listed").get("gmail"), Some(&view));
        assert!(store.delete("gmail").expect("deleted"));
        assert!(!store.delete("gmail").expect("nothing to delete"));
        assert_eq!(std::fs::read_to_string(&store.path).expect("read"), FILE);
    }

    #[test]
    fn a_profile_keeps_its_own_views() {
        let (_dir, store) = store_with(FILE, Some("prod"));
        assert!(store.list().expect("listed").is_empty());
        store
            .save(
                "mine",
                &View::default().overridden_by(View {
                    status: Some(UserStatus::New),
                    ..View::default()
                }),
            )
            .expect("saved");
        let text = std::fs::read_to_string(&store.path).expect("read");
        assert!(text.contains("[profiles.prod.views.mine]"), "{text}");
        assert!(text.contains("# the real one"), "{text}");
        let file = crate::config::ConfigFile::parse(&text).expect("still a valid config");
        assert!(file.profiles.contains_key("prod"));
    }

    #[test]
    fn bad_names_and_bad_tables_are_refused() {
        let (_dir, store) = store_with("[views.x]\nstatus = \"Sleeping\"\n", None);
        assert!(store.save("pending", &View::default()).is_err());
        assert!(store.save("a b", &View::default()).is_err());
        let error = store.list().expect_err("a bad status");
        assert!(error.0.contains("view 'x'"), "{error}");
        assert!(error.0.contains("unknown status 'Sleeping'"), "{error}");
    }
}
