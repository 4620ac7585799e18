//! `geobox-users views list|save|delete`, and the filter flags every command that picks users
//! by a view shares (`users list`, `users bulk-update`, `views save`).

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::{CliError, ConnectionArgs, OutputArgs, note};
use geobox_api::{UserRole, UserStatus};
use geobox_ops::field_column;
use geobox_ops::safety::require_filter;
use geobox_ops::transfer::output::{Column, Format, Layout};
use geobox_ops::views::{BUILT_IN, View, ViewStore, try_built_in};

/// Which users: a saved or built-in view, with any flag given over it.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Filters")]
pub struct FilterArgs {
    /// A saved view, or a built-in one: expiring-soon (or expiring-soon:N days), expired,
    /// never-signed-in, pending. Other filter flags override it.
    #[arg(long, value_name = "NAME", add = super::completion::view_names())]
    pub view: Option<String>,
    /// New, Pending, Active or Disabled (any case).
    #[arg(long)]
    pub status: Option<UserStatus>,
    /// System Admin, Account Admin, Publisher, Editor or Viewer (sent inside the CQL).
    #[arg(long)]
    pub role: Option<UserRole>,
    /// Keyword search (folded into the CQL when there is some).
    #[arg(long, value_name = "TERM")]
    pub search: Option<String>,
    /// Comma-separated fields --search looks in (needs a search: --search or the view's).
    #[arg(long, value_name = "FIELDS")]
    pub search_fields: Option<String>,
    /// An OGC CQL filter, e.g. "username LIKE '%gis%'".
    #[arg(long, value_name = "CQL")]
    pub q: Option<String>,
    /// Comma-separated `field A|D`, e.g. "last_name A, created_at D".
    #[arg(long, value_name = "ORDER")]
    pub order_by: Option<String>,
    /// The users of this user (the API's user_id parameter).
    #[arg(long, value_name = "N", value_parser = super::parse_id)]
    pub user_id: Option<i64>,
    /// Only shared users (the API's shared parameter).
    #[arg(long)]
    pub shared: bool,
}

impl FilterArgs {
    /// What the flags alone say.
    fn flags_view(&self) -> View {
        View {
            status: self.status.clone(),
            role: self.role.clone(),
            search: self.search.clone(),
            search_fields: self.search_fields.clone(),
            q: self.q.clone(),
            order_by: self.order_by.clone(),
            user_id: self.user_id,
            shared: self.shared.then_some(true),
        }
    }

    /// The view named by `--view` (if any) with the other flags over it. Fields to search in
    /// with nothing to search for would be silently ignored by the server: refused.
    pub fn view(&self, connection: &ConnectionArgs) -> Result<View, CliError> {
        let base = match &self.view {
            None => View::default(),
            Some(name) => {
                let today = chrono::Local::now().date_naive();
                match ViewStore::for_overrides(&connection.overrides()) {
                    Ok(store) => store.find(name, today)?,
                    // Built-in views need no config file, nor a place for one.
                    Err(error) => try_built_in(name, today)?.ok_or(error)?,
                }
            }
        };
        let view = base.overridden_by(self.flags_view());
        let searches = view
            .search
            .as_deref()
            .is_some_and(|search| !search.trim().is_empty());
        if view.search_fields.is_some() && !searches {
            return Err(CliError::Usage(
                "--search-fields names the fields a search looks in, but nothing is searched \
                 for: add --search TERM"
                    .to_string(),
            ));
        }
        Ok(view)
    }
}

#[derive(Debug, Subcommand)]
pub enum ViewsCommand {
    /// The saved views of the profile in effect, then the built-in ones.
    List {
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Save the filter flags under a name (in the config file, for the profile in effect).
    Save {
        name: String,
        #[command(flatten)]
        filters: FilterArgs,
        /// Replace a saved view of the same name.
        #[arg(long)]
        force: bool,
        /// Save a view of every user: without a filter, a view is refused unless this is given.
        #[arg(long)]
        all: bool,
    },
    /// Delete a saved view.
    Delete {
        #[arg(add = super::completion::view_names())]
        name: String,
    },
}

impl ViewsCommand {
    pub fn output_format(&self) -> Format {
        match self {
            ViewsCommand::List { output } => output.format(),
            ViewsCommand::Save { .. } | ViewsCommand::Delete { .. } => Format::Table,
        }
    }
}

const VIEW_COLUMNS: &[Column] = &[
    field_column!("NAME", "name"),
    field_column!("KIND", "kind"),
    field_column!("FILTER", "filter"),
];

const VIEWS: Layout = Layout {
    table: VIEW_COLUMNS,
    csv: VIEW_COLUMNS,
};

/// A view as `views list` prints it: its name, whether it is saved or built in, what it
/// filters on in words, and each setting by itself (for `-o json`).
fn listed(name: &str, kind: &str, view: &View) -> Value {
    json!({
        "name": name,
        "kind": kind,
        "filter": view.describe(),
        "settings": view.settings(),
    })
}

pub fn run(command: ViewsCommand, connection: &ConnectionArgs) -> Result<(), CliError> {
    let store = ViewStore::for_overrides(&connection.overrides())?;
    match command {
        ViewsCommand::List { output } => {
            let mut rows: Vec<Value> = store
                .list()?
                .iter()
                .map(|(name, view)| listed(name, "saved", view))
                .collect();
            let today = chrono::Local::now().date_naive();
            for name in BUILT_IN {
                if let Some(view) = try_built_in(name, today)? {
                    rows.push(listed(name, "built in", &view));
                }
            }
            output.list(&rows, &VIEWS)
        }
        ViewsCommand::Save {
            name,
            filters,
            force,
            all,
        } => {
            let view = filters.view(connection)?;
            if require_filter(&view, all).is_err() {
                return Err(CliError::Usage(format!(
                    "no filter given: view '{name}' would list every user, and a write through \
                     it would change every user. Give a filter (--status, --role, --search, \
                     --q, --user-id, --view), or pass --all to save a view of every user"
                )));
            }
            if let Some(existing) = store.list()?.get(&name)
                && !force
            {
                return Err(CliError::Usage(format!(
                    "a view named '{name}' is saved already ({}); pass --force to replace it",
                    existing.describe()
                )));
            }
            store.save(&name, &view)?;
            note(&format!(
                "saved view '{name}' ({}) in {}",
                view.describe(),
                store.path.display()
            ));
            Ok(())
        }
        ViewsCommand::Delete { name } => {
            if store.delete(&name)? {
                note(&format!("deleted view '{name}'"));
                Ok(())
            } else {
                Err(CliError::Usage(format!("no saved view named '{name}'")))
            }
        }
    }
}
