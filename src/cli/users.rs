//! `geobox-users users ...`

use clap::{Args, Subcommand};

use super::bulk::{self, BulkUpdateArgs, ImportArgs};
use super::journal::{Written, record};
use super::views::FilterArgs;
use super::{
    ArgError, CliError, ConnectionArgs, PageArgs, connect, note, parse_id, parse_plan_id,
    print_stdout,
};
use geobox_api::{NewUserFields, Patch, UserRef, UserRole, UserStatus, UserUpdate};
use geobox_ops::journal::{Action, renew_plan};
use geobox_ops::transfer::output::{self, Format};

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// List users (one page, or every page with --all), or count them with --count.
    List(ListArgs),
    /// Search users by a term.
    Search {
        term: String,
        #[command(flatten)]
        page: PageArgs,
        #[arg(long, value_enum, default_value_t)]
        output: Format,
    },
    /// Show one user: an id, or `me` for the signed-in user.
    Get {
        #[arg(value_name = "ID|me")]
        user: UserRef,
        #[arg(long, value_enum, default_value_t)]
        output: Format,
    },
    /// Create a user; the password is read from stdin, or asked for twice on a terminal.
    Create(CreateArgs),
    /// Change some fields of a user.
    Update(UpdateArgs),
    /// Delete a user (asks first on a terminal unless --yes; refuses without one).
    Delete {
        #[arg(value_name = "ID", value_parser = parse_id)]
        id: i64,
        /// Do not ask.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Set a user's password: read from stdin, or asked for twice on a terminal.
    SetPassword {
        #[arg(value_name = "ID", value_parser = parse_id)]
        id: i64,
    },
    /// Renew a user's plan.
    RenewPlan {
        #[arg(value_name = "ID", value_parser = parse_id)]
        id: i64,
    },
    /// Change the status or role of, or renew the plan of, every user of a filter or view.
    BulkUpdate(BulkUpdateArgs),
    /// Create (or update) users from a CSV file, checking every row first.
    Import(ImportArgs),
    /// Shut a compromised account: Disabled, every session closed, optionally a new password.
    Lockdown(super::lockdown::LockdownArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub filters: FilterArgs,
    #[command(flatten)]
    pub page: PageArgs,
    /// Every matching user, page after page as they come (--skip and --limit are ignored).
    #[arg(long, conflicts_with = "count")]
    pub all: bool,
    /// Print only how many users match.
    #[arg(long)]
    pub count: bool,
    #[arg(long, value_enum, default_value_t)]
    pub output: Format,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[arg(long)]
    pub username: String,
    #[arg(long)]
    pub email: String,
    /// System Admin, Account Admin, Publisher, Editor or Viewer (any case, dashes for spaces).
    #[arg(long)]
    pub role: UserRole,
    #[arg(long)]
    pub first_name: Option<String>,
    #[arg(long)]
    pub last_name: Option<String>,
    /// e.g. "+98 9120123456"
    #[arg(long)]
    pub mobile: Option<String>,
    /// New, Pending, Active or Disabled [default: the server's]
    #[arg(long)]
    pub status: Option<UserStatus>,
    #[arg(long, value_enum, default_value_t)]
    pub output: Format,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[arg(value_name = "ID", value_parser = parse_id)]
    pub id: i64,
    #[arg(long)]
    pub username: Option<String>,
    #[arg(long)]
    pub email: Option<String>,
    #[arg(long)]
    pub first_name: Option<String>,
    #[arg(long)]
    pub last_name: Option<String>,
    #[arg(long, conflicts_with = "clear_mobile")]
    pub mobile: Option<String>,
    #[arg(long)]
    pub clear_mobile: bool,
    #[arg(long)]
    pub status: Option<UserStatus>,
    #[arg(long)]
    pub role: Option<UserRole>,
    #[arg(long, value_name = "N", value_parser = parse_plan_id, conflicts_with = "clear_plan")]
    pub plan_id: Option<i64>,
    #[arg(long)]
    pub clear_plan: bool,
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date, conflicts_with = "clear_expiration")]
    pub expiration_date: Option<String>,
    #[arg(long)]
    pub clear_expiration: bool,
    #[arg(long, value_enum, default_value_t)]
    pub output: Format,
}

impl UpdateArgs {
    fn update(&self) -> UserUpdate {
        fn patch<T: Clone>(value: &Option<T>, clear: bool) -> Patch<T> {
            match (value, clear) {
                (Some(value), _) => Patch::Set(value.clone()),
                (None, true) => Patch::Clear,
                (None, false) => Patch::Keep,
            }
        }
        UserUpdate {
            username: self.username.clone(),
            email: self.email.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            status: self.status.clone(),
            role: self.role.clone(),
            mobile: patch(&self.mobile, self.clear_mobile),
            plan_id: patch(&self.plan_id, self.clear_plan),
            expiration_date: patch(&self.expiration_date, self.clear_expiration),
        }
    }
}

/// A calendar date as the API takes it; a bad one is a usage error before any request.
fn parse_date(value: &str) -> Result<String, ArgError> {
    chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map(|date| date.format("%Y-%m-%d").to_string())
        .map_err(|_| ArgError::NotADate(value.to_string()))
}

pub async fn run(command: UsersCommand, connection: &ConnectionArgs) -> Result<(), CliError> {
    match command {
        UsersCommand::List(args) => {
            let view = args.filters.view(connection)?;
            let client = connect(connection)?;
            if args.all {
                return bulk::list_all(&client, view, args.output).await;
            }
            let query = view.query().skip(args.page.skip).limit(args.page.limit);
            if args.count {
                let count = client.count_users(&query).await?;
                return print_stdout(&format!("{count}\n"));
            }
            let users = client.list_users_raw(&query).await?;
            print_stdout(&output::render_list(&users, &output::USERS, args.output))
        }
        UsersCommand::Search {
            term,
            page,
            output: format,
        } => {
            let client = connect(connection)?;
            let users = client
                .search_users_raw(&term, page.skip, page.limit)
                .await?;
            print_stdout(&output::render_list(&users, &output::USERS, format))
        }
        UsersCommand::Get {
            user,
            output: format,
        } => {
            let client = connect(connection)?;
            let user = client.get_user_raw(user).await?;
            print_stdout(&output::render_one(&user, &output::USERS, format))
        }
        UsersCommand::Create(args) => {
            // Read stdin before anything else: the password is what was piped in.
            let password = super::read_new_password()?;
            // Only what was given is sent: the server chooses the rest.
            let new_user = NewUserFields {
                username: args.username,
                email: args.email,
                password,
                role: args.role,
                first_name: args.first_name,
                last_name: args.last_name,
                mobile: args.mobile,
                status: args.status,
            };
            let client = connect(connection)?;
            let username = new_user.username.clone();
            let created = client.create_user_raw(new_user).await;
            record(connection, Written::create(&username, &created), &created);
            print_stdout(&output::render_one(&created?, &output::USERS, args.output))
        }
        UsersCommand::Update(args) => {
            let update = args.update();
            if update.is_empty() {
                return Err(CliError::Usage(
                    "nothing to update: give at least one field (see --help)".to_string(),
                ));
            }
            let client = connect(connection)?;
            // The values before, for the journal and its undo.
            let before = client.get_user(UserRef::Id(args.id)).await.ok();
            let updated = client.update_user_raw(args.id, &update).await;
            let written = Written::update(args.id, before.as_ref(), &update, &updated);
            record(connection, written, &updated);
            print_stdout(&output::render_one(&updated?, &output::USERS, args.output))
        }
        UsersCommand::Delete { id, yes } => {
            if !yes && !super::at_terminal() {
                return Err(CliError::Usage(format!(
                    "refusing to delete user {id} without confirmation: no terminal to ask on; \
                     pass --yes"
                )));
            }
            let client = connect(connection)?;
            // Fetched even with --yes: the journal keeps the fields so an undo can recreate.
            let user = client.get_user(UserRef::Id(id)).await?;
            if !yes {
                let who = match user.email.as_deref() {
                    Some(email) if !email.is_empty() => format!("{} <{email}>", user.username),
                    _ => user.username.clone(),
                };
                if !super::confirm(&format!("Delete user {id} ({who})?"))? {
                    return Err(CliError::Declined(format!("user {id} was not deleted")));
                }
            }
            let deleted = client.delete_user(id).await;
            record(connection, Written::delete(&user), &deleted);
            deleted?;
            note(&format!("deleted user {id}"));
            Ok(())
        }
        UsersCommand::SetPassword { id } => {
            let password = super::read_new_password()?;
            let client = connect(connection)?;
            let changed = client.change_password(id, &password).await;
            record(
                connection,
                Written::to_user(Action::SetPassword, id),
                &changed,
            );
            changed?;
            note(&format!("changed the password of user {id}"));
            Ok(())
        }
        UsersCommand::RenewPlan { id } => {
            let client = connect(connection)?;
            let renewal = renew_plan(&client, id).await;
            let written = Written::one(Action::RenewPlan, renewal.change);
            record(connection, written, &renewal.result);
            renewal.result?;
            note(&format!("renewed the plan of user {id}"));
            Ok(())
        }
        UsersCommand::BulkUpdate(args) => bulk::bulk_update(&args, connection).await,
        UsersCommand::Import(args) => bulk::import(&args, connection).await,
        UsersCommand::Lockdown(args) => super::lockdown::run(&args, connection).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_checked() {
        assert_eq!(parse_date("2026-12-01"), Ok("2026-12-01".to_string()));
        assert!(parse_date("2026-13-01").is_err());
        assert!(parse_date("01/12/2026").is_err());
        assert_eq!(
            parse_date("01/12/2026").map_err(|error| error.to_string()),
            Err("'01/12/2026' is not a date in the form YYYY-MM-DD".to_string())
        );
    }
}
