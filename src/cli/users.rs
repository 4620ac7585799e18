//! `geobox-users users ...`

use clap::{Args, Subcommand};
use serde_json::Value;

use super::bulk::{self, BulkUpdateArgs, ImportArgs};
use super::journal::{Written, record};
use super::out::count;
use super::targets::{self, Failures, Target, parse_target};
use super::user_writes::{self, Before};
use super::views::FilterArgs;
use super::{
    ArgError, CliError, ConnectionArgs, OutputArgs, PageArgs, connect, note, parse_plan_id,
    print_stdout,
};
use geobox_api::{
    GeoboxClient, NewUserFields, Patch, User, UserRef, UserRole, UserStatus, UserUpdate,
};
use geobox_ops::journal::{self, Action};
use geobox_ops::transfer::output::{self, Column, Format, Layout};

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// List users (one page, or every page with --all), or count them with --count.
    List(ListArgs),
    /// Search users by a term.
    Search {
        term: String,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Search every deployment of the config file at once (or --profiles a,b); each match
    /// with the profile it came from. A deployment that fails is said on stderr (exit 1).
    Find(super::find::FindArgs),
    /// Show users: ids, usernames, or `me` for the signed-in user (one is shown field by field).
    Get {
        #[arg(value_name = "USER", required = true, value_parser = parse_target)]
        users: Vec<Target>,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Create a user; the password is read from stdin, or asked for twice on a terminal.
    Create(CreateArgs),
    /// Change some fields of one or more users.
    Update(UpdateArgs),
    /// Delete users (asks first on a terminal unless --yes; refuses without one).
    Delete {
        #[arg(value_name = "USER", required = true, value_parser = parse_target)]
        users: Vec<Target>,
        /// Do not ask.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Set a user's password: read from stdin, or asked for twice on a terminal.
    SetPassword {
        #[arg(value_name = "USER", value_parser = parse_target)]
        user: Target,
    },
    /// Renew users' plans and print their new expiration dates.
    RenewPlan {
        #[arg(value_name = "USER", required = true, value_parser = parse_target)]
        users: Vec<Target>,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Change the status or role of, or renew the plan of, every user of a filter or view.
    BulkUpdate(BulkUpdateArgs),
    /// Create (or update) users from a CSV file, checking every row first.
    Import(ImportArgs),
    /// Shut compromised accounts: Disabled, every session closed, optionally a new password.
    Lockdown(super::lockdown::LockdownArgs),
}

impl UsersCommand {
    pub fn output_format(&self) -> Format {
        match self {
            UsersCommand::List(args) => args.output.format(),
            UsersCommand::Search { output, .. }
            | UsersCommand::Get { output, .. }
            | UsersCommand::RenewPlan { output, .. } => output.format(),
            UsersCommand::Create(args) => args.output.format(),
            UsersCommand::Find(args) => args.output.format(),
            UsersCommand::Update(args) => args.output.format(),
            UsersCommand::Delete { .. }
            | UsersCommand::SetPassword { .. }
            | UsersCommand::BulkUpdate(_)
            | UsersCommand::Import(_)
            | UsersCommand::Lockdown(_) => Format::Table,
        }
    }
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub filters: FilterArgs,
    #[command(flatten)]
    pub page: PageArgs,
    /// Every matching user, page after page as they come (not with --skip or --limit).
    #[arg(long, conflicts_with_all = ["count", "skip", "limit"])]
    pub all: bool,
    /// Print only how many users match.
    #[arg(long)]
    pub count: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The new user's username: letters, digits, `.`, `_` and `-`, starting with a letter or
    /// digit.
    #[arg(long)]
    pub username: String,
    /// The new user's email address.
    #[arg(long)]
    pub email: String,
    /// System Admin, Account Admin, Publisher, Editor or Viewer (any case, dashes for spaces).
    #[arg(long)]
    pub role: UserRole,
    /// First name [default: none].
    #[arg(long)]
    pub first_name: Option<String>,
    /// Last name [default: none].
    #[arg(long)]
    pub last_name: Option<String>,
    /// Mobile number with its country code, e.g. "+98 9120123456" [default: none].
    #[arg(long)]
    pub mobile: Option<String>,
    /// New, Pending, Active or Disabled [default: the server's]
    #[arg(long)]
    pub status: Option<UserStatus>,
    /// Do not ask before making a System Admin or Account Admin (its ⚠ line is still said).
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The users to change: ids, usernames or `me`.
    #[arg(value_name = "USER", required = true, value_parser = parse_target)]
    pub users: Vec<Target>,
    /// A new username (one user only).
    #[arg(long)]
    pub username: Option<String>,
    /// A new email address (one user only).
    #[arg(long)]
    pub email: Option<String>,
    /// A new first name.
    #[arg(long)]
    pub first_name: Option<String>,
    /// A new last name.
    #[arg(long)]
    pub last_name: Option<String>,
    /// A new mobile number with its country code, e.g. "+98 9120123456" (one user only).
    #[arg(long, conflicts_with = "clear_mobile")]
    pub mobile: Option<String>,
    /// Remove the mobile number.
    #[arg(long)]
    pub clear_mobile: bool,
    /// New, Pending, Active or Disabled (any case).
    #[arg(long)]
    pub status: Option<UserStatus>,
    /// System Admin, Account Admin, Publisher, Editor or Viewer (any case, dashes for spaces).
    #[arg(long)]
    pub role: Option<UserRole>,
    /// The id of the user's new plan (`plans list` shows them).
    #[arg(long, value_name = "N", value_parser = parse_plan_id, conflicts_with = "clear_plan")]
    pub plan_id: Option<i64>,
    /// Take the user's plan away.
    #[arg(long)]
    pub clear_plan: bool,
    /// The day the plan ends.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date, conflicts_with = "clear_expiration")]
    pub expiration_date: Option<String>,
    /// Remove the expiration date (the plan does not end).
    #[arg(long)]
    pub clear_expiration: bool,
    /// Do not ask before giving System Admin or Account Admin (its ⚠ line is still said). It
    /// never stands in for typing your own username to disable or demote yourself.
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub output: OutputArgs,
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

    /// The flags that name one person's own value: given to several users they would make
    /// them collide (the server refuses the second) or share a number.
    fn one_user_only(&self) -> Vec<&'static str> {
        [
            ("--username", self.username.is_some()),
            ("--email", self.email.is_some()),
            ("--mobile", self.mobile.is_some()),
        ]
        .into_iter()
        .filter_map(|(flag, given)| given.then_some(flag))
        .collect()
    }
}

/// A calendar date as the API takes it; a bad one is a usage error before any request.
fn parse_date(value: &str) -> Result<String, ArgError> {
    chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map(|date| date.format("%Y-%m-%d").to_string())
        .map_err(|_| ArgError::NotADate(value.to_string()))
}

/// What `renew-plan` prints: whose plan, and until when it now runs.
const RENEWED_COLUMNS: &[Column] = &[
    geobox_ops::field_column!("ID", "id"),
    geobox_ops::field_column!("USERNAME", "username"),
    Column {
        header: "PLAN",
        csv: "plan",
        cell: |user| output::plan_label(user.get("plan")),
    },
    geobox_ops::field_column!("EXPIRES", "expiration_date"),
];

const RENEWED: Layout = Layout {
    table: RENEWED_COLUMNS,
    csv: RENEWED_COLUMNS,
};

pub async fn run(command: UsersCommand, connection: &ConnectionArgs) -> Result<(), CliError> {
    match command {
        UsersCommand::List(args) => list(args, connection).await,
        UsersCommand::Find(args) => super::find::run(args).await,
        UsersCommand::Search { term, page, output } => {
            let client = connect(connection)?;
            page.print(&output, &output::USERS, |skip, limit| {
                client.search_users_raw(&term, skip, limit)
            })
            .await
        }
        UsersCommand::Get { users, output } => {
            let client = connect(connection)?;
            let mut found = Vec::with_capacity(users.len());
            for target in &users {
                let user = targets::user_ref(&client, target).await?;
                found.push(client.get_user_raw(user).await?);
            }
            output.one_or_list(&found, &output::USERS)
        }
        UsersCommand::Create(args) => create(args, connection).await,
        UsersCommand::Update(args) => update(args, connection).await,
        UsersCommand::Delete { users, yes } => delete(&users, yes, connection).await,
        UsersCommand::SetPassword { user } => {
            let password = super::read_new_password()?;
            let client = connect(connection)?;
            let id = targets::id_of(&client, &user).await?;
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
        UsersCommand::RenewPlan { users, output } => renew_plans(&users, &output, connection).await,
        UsersCommand::BulkUpdate(args) => bulk::bulk_update(&args, connection).await,
        UsersCommand::Import(args) => bulk::import(&args, connection).await,
        UsersCommand::Lockdown(args) => super::lockdown::run(&args, connection).await,
    }
}

async fn list(args: ListArgs, connection: &ConnectionArgs) -> Result<(), CliError> {
    let view = args.filters.view(connection)?;
    let client = connect(connection)?;
    let every_match = args.page.limit == 0 && args.page.skip == 0;
    if args.all || (every_match && !args.count) {
        return bulk::list_all(&client, view, &args.output).await;
    }
    if args.count {
        let count = client.count_users(&view.query()).await?;
        return print_stdout(&format!("{count}\n"));
    }
    let (client, view) = (&client, &view);
    args.page
        .print(&args.output, &output::USERS, |skip, limit| {
            let query = view.query().skip(skip).limit(limit);
            async move { client.list_users_raw(&query).await }
        })
        .await
}

async fn create(args: CreateArgs, connection: &ConnectionArgs) -> Result<(), CliError> {
    // Read stdin before anything else: the password is what was piped in.
    let password = super::read_new_password()?;
    user_writes::create_asked(&args.username, &args.role, args.yes)?;
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
    args.output.one(&created?, &output::USERS)
}

async fn update(args: UpdateArgs, connection: &ConnectionArgs) -> Result<(), CliError> {
    let update = args.update();
    if update.is_empty() {
        return Err(CliError::Usage(
            "nothing to update: give at least one field (see --help)".to_string(),
        ));
    }
    let own = args.one_user_only();
    if args.users.len() > 1 && !own.is_empty() {
        return Err(CliError::Usage(format!(
            "{} names one user's own value: give one user, not {}",
            own.join(", "),
            args.users.len()
        )));
    }
    let client = connect(connection)?;
    let ids = targets::ids_of(&client, &args.users).await?;
    // The values before: for the rules (whose role changes), the journal and its undo.
    let mut befores = Vec::with_capacity(ids.len());
    for id in ids {
        befores.push(Before::new(id, client.get_user(UserRef::Id(id)).await.ok()));
    }
    let befores = user_writes::update_targets(&client, befores, &update, args.yes).await?;
    let mut updated_users = Vec::with_capacity(befores.len());
    let mut failures = Failures::of(befores.len());
    for Before {
        id, user: before, ..
    } in befores
    {
        let updated = client.update_user_raw(id, &update).await;
        let written = Written::update(id, before.as_ref(), &update, &updated);
        record(connection, written, &updated);
        match updated {
            Ok(user) => updated_users.push(user),
            Err(error) => failures.add(format_args!("user {id}"), error.into())?,
        }
    }
    args.output.one_or_list(&updated_users, &output::USERS)?;
    failures.end("user", "users", "could not be updated")
}

/// `neda <neda@example.ir> (5)`
fn who(user: &User) -> String {
    match user.email.as_deref() {
        Some(email) if !email.is_empty() => format!("{} <{email}> ({})", user.username, user.id),
        _ => format!("{} ({})", user.username, user.id),
    }
}

async fn delete(users: &[Target], yes: bool, connection: &ConnectionArgs) -> Result<(), CliError> {
    if !yes && !super::at_terminal() {
        let named: Vec<String> = users.iter().map(ToString::to_string).collect();
        return Err(CliError::Usage(format!(
            "refusing to delete {} without confirmation: no terminal to ask on; pass --yes",
            named.join(", ")
        )));
    }
    let client = connect(connection)?;
    // Fetched even with --yes: the journal keeps the fields so an undo can recreate.
    let mut found = Vec::with_capacity(users.len());
    for id in targets::ids_of(&client, users).await? {
        found.push(client.get_user(UserRef::Id(id)).await?);
    }
    if !yes {
        let question = match found.as_slice() {
            [one] => format!("Delete user {} ({})?", one.id, who_without_id(one)),
            several => {
                let listed: Vec<String> = several.iter().map(who).collect();
                format!(
                    "Delete {}: {}?",
                    count(several.len(), "user", "users"),
                    listed.join(", ")
                )
            }
        };
        if !super::confirm(&question)? {
            return Err(CliError::Declined("nobody was deleted".to_string()));
        }
    }
    let mut failures = Failures::of(found.len());
    for user in &found {
        let deleted = client.delete_user(user.id).await;
        record(connection, Written::delete(user), &deleted);
        match deleted {
            Ok(()) => note(&format!("deleted user {}", user.id)),
            Err(error) => failures.add(format_args!("user {}", user.id), error.into())?,
        }
    }
    failures.end("user", "users", "could not be deleted")
}

/// `ali <ali@example.ir>`
fn who_without_id(user: &User) -> String {
    match user.email.as_deref() {
        Some(email) if !email.is_empty() => format!("{} <{email}>", user.username),
        _ => user.username.clone(),
    }
}

async fn renew_plans(
    users: &[Target],
    output: &OutputArgs,
    connection: &ConnectionArgs,
) -> Result<(), CliError> {
    let client = connect(connection)?;
    let ids = targets::ids_of(&client, users).await?;
    let mut renewed = Vec::with_capacity(ids.len());
    let mut failures = Failures::of(ids.len());
    for id in &ids {
        match renew_plan(&client, *id, connection).await {
            Ok(user) => renewed.push(user),
            Err(error) => failures.add(format_args!("user {id}"), error)?,
        }
    }
    match output.format() {
        // A row a user: who, and until when the plan now runs.
        Format::Table | Format::Csv => output.list(&renewed, &RENEWED)?,
        Format::Json | Format::Jsonl => output.one_or_list(&renewed, &output::USERS)?,
    }
    failures.end("user", "users", "could not be renewed")
}

/// Renews one user's plan through the journal's renewal, which reads the user before and
/// after (the renewal answers with no body): the journal keeps both dates, and the new one
/// is what the admin wants to see.
async fn renew_plan(
    client: &GeoboxClient,
    id: i64,
    connection: &ConnectionArgs,
) -> Result<Value, CliError> {
    let renewal = journal::renew_plan(client, id).await;
    let written = Written::one(Action::RenewPlan, renewal.change);
    record(connection, written, &renewal.result);
    renewal.result?;
    match renewal.after.map(serde_json::to_value) {
        Some(Ok(user)) => Ok(user),
        // Renewed, but the user could not be read back: read again, and say why if it fails.
        _ => Ok(client.get_user_raw(UserRef::Id(id)).await?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn every_flag_of_create_and_update_says_what_it_is() {
        let mut cli = crate::cli::Cli::command();
        let users = cli.find_subcommand_mut("users").expect("users");
        for name in ["create", "update"] {
            let command = users.find_subcommand_mut(name).expect(name);
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if arg.is_global_set() || id == "help" {
                    continue;
                }
                assert!(
                    arg.get_help().is_some(),
                    "users {name} --{} has no help text",
                    arg.get_long().unwrap_or(id)
                );
            }
        }
    }

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
