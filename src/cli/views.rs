//! `geobox-users views list|save|delete`, and the filter flags every command that picks users
//! by a view shares (`users list`, `users bulk-update`, `views save`).

use clap::{Args, Subcommand};

use super::{CliError, ConnectionArgs, note, print_stdout};
use geobox_api::{UserRole, UserStatus};
use geobox_ops::views::{BUILT_IN, View, ViewStore, built_in};

/// Which users: a saved or built-in view, with any flag given over it.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Filters")]
pub struct FilterArgs {
    /// A saved view, or a built-in one: expiring-soon (or expiring-soon:N days), expired,
    /// never-signed-in, pending. Other filter flags override it.
    #[arg(long, value_name = "NAME")]
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
    /// Comma-separated fields for --search.
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

    /// The view named by `--view` (if any) with the other flags over it.
    pub fn view(&self, connection: &ConnectionArgs) -> Result<View, CliError> {
        let base = match &self.view {
            None => View::default(),
            Some(name) => {
                let today = chrono::Local::now().date_naive();
                match ViewStore::for_overrides(&connection.overrides()) {
                    Ok(store) => store.find(name, today)?,
                    // Built-in views need no config file, nor a place for one.
                    Err(error) => built_in(name, today).ok_or(error)?,
                }
            }
        };
        Ok(base.overridden_by(self.flags_view()))
    }
}

#[derive(Debug, Subcommand)]
pub enum ViewsCommand {
    /// The saved views of the profile in effect, then the built-in ones.
    List,
    /// Save the filter flags under a name (in the config file, for the profile in effect).
    Save {
        name: String,
        #[command(flatten)]
        filters: FilterArgs,
    },
    /// Delete a saved view.
    Delete { name: String },
}

pub fn run(command: ViewsCommand, connection: &ConnectionArgs) -> Result<(), CliError> {
    let store = ViewStore::for_overrides(&connection.overrides())?;
    match command {
        ViewsCommand::List => {
            let mut text = String::new();
            for (name, view) in store.list()? {
                text.push_str(&format!("{name}\t{}\n", view.describe()));
            }
            let today = chrono::Local::now().date_naive();
            for name in BUILT_IN {
                if let Some(view) = built_in(name, today) {
                    text.push_str(&format!("{name}\t(built in) {}\n", view.describe()));
                }
            }
            print_stdout(&text)
        }
        ViewsCommand::Save { name, filters } => {
            let view = filters.view(connection)?;
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
