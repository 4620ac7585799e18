//! The edit (`e`) and create (`n`) forms: fields, checks as typed, and what a save would send.
//! Pure data and functions; `update` drives them and `view::form` draws them.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use tui_input::Input;

use geobox_api::{NewUser, Patch, Plan, Secret, User, UserRole, UserStatus, UserUpdate};

use super::msg::RequestId;
use super::wrap::step_wrapping;
use geobox_api::date_part;

/// The fields of the forms, top to bottom. The create form has no plan or expiration (the
/// create call does not take them) and has the password twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Username,
    Email,
    FirstName,
    LastName,
    Mobile,
    Role,
    Status,
    Plan,
    Expiration,
    Password,
    PasswordAgain,
}

impl Field {
    const EDIT: [Field; 9] = [
        Field::Username,
        Field::Email,
        Field::FirstName,
        Field::LastName,
        Field::Mobile,
        Field::Role,
        Field::Status,
        Field::Plan,
        Field::Expiration,
    ];
    const CREATE: [Field; 9] = [
        Field::Username,
        Field::Email,
        Field::FirstName,
        Field::LastName,
        Field::Mobile,
        Field::Role,
        Field::Status,
        Field::Password,
        Field::PasswordAgain,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Field::Username => "username",
            Field::Email => "email",
            Field::FirstName => "first name",
            Field::LastName => "last name",
            Field::Mobile => "mobile",
            Field::Role => "role",
            Field::Status => "status",
            Field::Plan => "plan",
            Field::Expiration => "expires",
            Field::Password => "password",
            Field::PasswordAgain => "again",
        }
    }

    /// The field's name on the wire, to place a 422 on it.
    pub fn wire_name(self) -> &'static str {
        match self {
            Field::Username => "username",
            Field::Email => "email",
            Field::FirstName => "first_name",
            Field::LastName => "last_name",
            Field::Mobile => "mobile",
            Field::Role => "role",
            Field::Status => "status",
            Field::Plan => "plan_id",
            Field::Expiration => "expiration_date",
            Field::Password | Field::PasswordAgain => "password",
        }
    }

    /// Chosen from a list rather than typed.
    pub fn is_choice(self) -> bool {
        matches!(self, Field::Role | Field::Status | Field::Plan)
    }

    pub fn is_secret(self) -> bool {
        matches!(self, Field::Password | Field::PasswordAgain)
    }
}

/// An open edit or create form. Its Debug never shows the passwords.
#[derive(Clone, Default)]
pub struct UserForm {
    /// The user as it was when the form opened; `None` for a new user.
    pub original: Option<User>,
    pub inputs: BTreeMap<Field, Input>,
    pub role: Option<UserRole>,
    pub status: Option<UserStatus>,
    pub plan_id: Option<i64>,
    /// The plans to choose from (id, label), loaded from `plans/`.
    pub plans: Vec<(i64, String)>,
    pub focus: usize,
    /// Why fields are invalid: checked as typed, or the server's 422.
    pub errors: BTreeMap<Field, String>,
    /// A failure that names no field.
    pub failure: Option<String>,
    /// The save in flight.
    pub saving: Option<RequestId>,
    /// Esc on a changed form: asking whether to throw the changes away.
    pub asking_discard: bool,
    /// The role of whoever fills the form in: it decides which roles the form offers.
    pub granter: Option<UserRole>,
}

impl fmt::Debug for UserForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inputs: BTreeMap<&Field, &str> = self
            .inputs
            .iter()
            .map(|(field, input)| {
                (
                    field,
                    if field.is_secret() {
                        "***"
                    } else {
                        input.value()
                    },
                )
            })
            .collect();
        f.debug_struct("UserForm")
            .field("original", &self.original.as_ref().map(|user| user.id))
            .field("inputs", &inputs)
            .field("role", &self.role)
            .field("status", &self.status)
            .field("plan_id", &self.plan_id)
            .field("errors", &self.errors)
            .field("saving", &self.saving)
            .finish_non_exhaustive()
    }
}

fn text(value: Option<&str>) -> Input {
    Input::new(value.unwrap_or("").to_string())
}

impl UserForm {
    /// A form holding `user` as it is now.
    pub fn edit(user: &User, plans: &[Plan]) -> UserForm {
        let mut inputs = BTreeMap::new();
        inputs.insert(Field::Username, Input::new(user.username.clone()));
        inputs.insert(Field::Email, text(user.email.as_deref()));
        inputs.insert(Field::FirstName, text(user.first_name.as_deref()));
        inputs.insert(Field::LastName, text(user.last_name.as_deref()));
        inputs.insert(Field::Mobile, text(user.mobile.as_deref()));
        inputs.insert(
            Field::Expiration,
            text(user.expiration_date.as_deref().map(date_part)),
        );
        let mut form = UserForm {
            original: Some(user.clone()),
            inputs,
            role: user.role.clone(),
            status: user.status.clone(),
            plan_id: user.plan.as_ref().map(|plan| plan.id),
            ..UserForm::default()
        };
        form.set_plans(plans);
        // The user's own plan stays choosable even if the list does not have it.
        if let Some(plan) = &user.plan
            && !form.plans.iter().any(|(id, _)| *id == plan.id)
        {
            form.plans.push((plan.id, plan.label()));
        }
        form
    }

    /// An empty form for a new user.
    pub fn create() -> UserForm {
        let mut inputs = BTreeMap::new();
        for field in Field::CREATE.iter().filter(|field| !field.is_choice()) {
            inputs.insert(*field, Input::default());
        }
        UserForm {
            inputs,
            role: Some(UserRole::Viewer),
            status: Some(UserStatus::Active),
            ..UserForm::default()
        }
    }

    pub fn set_plans(&mut self, plans: &[Plan]) {
        let own = self.original.as_ref().and_then(|user| user.plan.clone());
        self.plans = plans.iter().map(|plan| (plan.id, plan.label())).collect();
        if let Some(plan) = own
            && !self.plans.iter().any(|(id, _)| *id == plan.id)
        {
            self.plans.push((plan.id, plan.label()));
        }
    }

    pub fn is_create(&self) -> bool {
        self.original.is_none()
    }

    pub fn fields(&self) -> &'static [Field] {
        if self.is_create() {
            &Field::CREATE
        } else {
            &Field::EDIT
        }
    }

    pub fn focused(&self) -> Field {
        let fields = self.fields();
        fields[self.focus.min(fields.len() - 1)]
    }

    pub fn step_focus(&mut self, forward: bool) {
        self.focus = step_wrapping(self.focus, self.fields().len(), forward);
    }

    pub fn value(&self, field: Field) -> &str {
        self.inputs.get(&field).map_or("", Input::value)
    }

    /// The value of a field as shown (choices by name, passwords masked).
    pub fn shown(&self, field: Field) -> String {
        match field {
            Field::Role => self.role.as_ref().map_or("—".into(), ToString::to_string),
            Field::Status => self.status.as_ref().map_or("—".into(), ToString::to_string),
            Field::Plan => self.plan_label(self.plan_id),
            _ if field.is_secret() => "•".repeat(self.value(field).chars().count()),
            _ => self.value(field).to_string(),
        }
    }

    pub fn plan_label(&self, plan_id: Option<i64>) -> String {
        match plan_id {
            None => "no plan".to_string(),
            Some(id) => self
                .plans
                .iter()
                .find(|(plan, _)| *plan == id)
                .map_or_else(|| format!("plan {id}"), |(_, label)| label.clone()),
        }
    }

    /// Steps a choice field forward or back.
    pub fn cycle(&mut self, step: i8) {
        fn next<T: Clone + PartialEq>(all: &[T], current: Option<&T>, step: i8) -> Option<T> {
            if all.is_empty() {
                return current.cloned();
            }
            let index = current
                .and_then(|value| all.iter().position(|known| known == value))
                .unwrap_or(0);
            Some(all[step_wrapping(index, all.len(), step >= 0)].clone())
        }
        match self.focused() {
            Field::Role => {
                let roles: Vec<UserRole> = UserRole::ALL
                    .iter()
                    .filter(|role| role.grantable_by(self.granter.as_ref()))
                    .cloned()
                    .collect();
                self.role = next(&roles, self.role.as_ref(), step);
            }
            Field::Status => self.status = next(UserStatus::ALL, self.status.as_ref(), step),
            Field::Plan => {
                // "no plan" comes first, then the plans.
                let mut choices: Vec<Option<i64>> = vec![None];
                choices.extend(self.plans.iter().map(|(id, _)| Some(*id)));
                self.plan_id = next(&choices, Some(&self.plan_id), step).flatten();
            }
            _ => {}
        }
        self.errors.remove(&self.focused());
    }

    /// Edits the focused text field and checks it again.
    pub fn edit_text(&mut self, request: tui_input::InputRequest) {
        let field = self.focused();
        if let Some(input) = self.inputs.get_mut(&field)
            && input.handle(request).is_some_and(|changed| changed.value)
        {
            self.failure = None;
            match check(self, field) {
                Some(reason) => self.errors.insert(field, reason),
                None => self.errors.remove(&field),
            };
            if field == Field::Password && !self.value(Field::PasswordAgain).is_empty() {
                match check(self, Field::PasswordAgain) {
                    Some(reason) => self.errors.insert(Field::PasswordAgain, reason),
                    None => self.errors.remove(&Field::PasswordAgain),
                };
            }
        }
    }

    /// Checks every field; returns whether all are valid, focusing the first that is not.
    pub fn check_all(&mut self) -> bool {
        self.errors.clear();
        for field in self.fields() {
            if let Some(reason) = check(self, *field) {
                self.errors.insert(*field, reason);
            }
        }
        if let Some(first) = self
            .fields()
            .iter()
            .position(|field| self.errors.contains_key(field))
        {
            self.focus = first;
            return false;
        }
        true
    }

    /// The changes a save would send: only changed fields; cleared optional ones as null.
    pub fn update(&self) -> UserUpdate {
        let Some(user) = &self.original else {
            return UserUpdate::default();
        };
        let changed = |field: Field, old: Option<&str>| -> Option<String> {
            let new = self.value(field).trim();
            (new != old.unwrap_or("").trim()).then(|| new.to_string())
        };
        let patch = |field: Field, old: Option<&str>| -> Patch<String> {
            match changed(field, old) {
                None => Patch::Keep,
                Some(new) if new.is_empty() => Patch::Clear,
                Some(new) => Patch::Set(new),
            }
        };
        let old_plan = user.plan.as_ref().map(|plan| plan.id);
        UserUpdate {
            username: changed(Field::Username, Some(&user.username)),
            email: changed(Field::Email, user.email.as_deref()),
            first_name: changed(Field::FirstName, user.first_name.as_deref()),
            last_name: changed(Field::LastName, user.last_name.as_deref()),
            status: (self.status != user.status)
                .then(|| self.status.clone())
                .flatten(),
            role: (self.role != user.role)
                .then(|| self.role.clone())
                .flatten(),
            mobile: patch(Field::Mobile, user.mobile.as_deref()),
            plan_id: match (old_plan, self.plan_id) {
                (old, new) if old == new => Patch::Keep,
                (_, Some(new)) => Patch::Set(new),
                (_, None) => Patch::Clear,
            },
            expiration_date: patch(
                Field::Expiration,
                user.expiration_date.as_deref().map(date_part),
            ),
        }
    }

    /// What a save would change, as (field, old, new) for the changes pane.
    pub fn changes(&self) -> Vec<(Field, String, String)> {
        let Some(user) = &self.original else {
            return Vec::new();
        };
        let update = self.update();
        let mut changes = Vec::new();
        let or_dash = |value: Option<&str>| match value.filter(|value| !value.is_empty()) {
            Some(value) => value.to_string(),
            None => "—".to_string(),
        };
        let mut text = |field: Field, old: Option<&str>, new: Option<&String>| {
            if let Some(new) = new {
                changes.push((field, or_dash(old), or_dash(Some(new))));
            }
        };
        text(
            Field::Username,
            Some(&user.username),
            update.username.as_ref(),
        );
        text(Field::Email, user.email.as_deref(), update.email.as_ref());
        text(
            Field::FirstName,
            user.first_name.as_deref(),
            update.first_name.as_ref(),
        );
        text(
            Field::LastName,
            user.last_name.as_deref(),
            update.last_name.as_ref(),
        );
        let mut patch = |field: Field, old: Option<&str>, new: &Patch<String>| match new {
            Patch::Keep => {}
            Patch::Set(new) => changes.push((field, or_dash(old), new.clone())),
            Patch::Clear => changes.push((field, or_dash(old), "— (cleared)".to_string())),
        };
        patch(Field::Mobile, user.mobile.as_deref(), &update.mobile);
        patch(
            Field::Expiration,
            user.expiration_date.as_deref().map(date_part),
            &update.expiration_date,
        );
        if let Some(role) = &update.role {
            changes.push((
                Field::Role,
                or_dash(user.role.as_ref().map(UserRole::as_str)),
                role.to_string(),
            ));
        }
        if let Some(status) = &update.status {
            changes.push((
                Field::Status,
                or_dash(user.status.as_ref().map(UserStatus::as_str)),
                status.to_string(),
            ));
        }
        if !update.plan_id.is_keep() {
            changes.push((
                Field::Plan,
                self.plan_label(user.plan.as_ref().map(|plan| plan.id)),
                self.plan_label(self.plan_id),
            ));
        }
        changes.sort_by_key(|(field, _, _)| *field);
        changes
    }

    /// Whether anything was typed or chosen that a discard would lose.
    pub fn is_changed(&self) -> bool {
        match &self.original {
            Some(_) => !self.update().is_empty(),
            None => self.inputs.values().any(|input| !input.value().is_empty()),
        }
    }

    /// The new user, once every field is valid.
    pub fn new_user(&self) -> NewUser {
        NewUser {
            username: self.value(Field::Username).trim().to_string(),
            email: self.value(Field::Email).trim().to_string(),
            password: Secret::new(self.value(Field::Password)),
            role: self.role.clone().unwrap_or(UserRole::Viewer),
            first_name: self.value(Field::FirstName).trim().to_string(),
            last_name: self.value(Field::LastName).trim().to_string(),
            mobile: self.value(Field::Mobile).trim().to_string(),
            status: self.status.clone().unwrap_or(UserStatus::Active),
        }
    }

    /// Places a server's 422 on the fields it names; returns whether any field was named.
    pub fn place_server_errors(&mut self, error: &geobox_api::ApiError) -> bool {
        let mut placed = false;
        for field in self.fields() {
            if let Some(message) = error.field_error(field.wire_name()) {
                self.errors.insert(*field, format!("{message} (422)"));
                placed = true;
            }
        }
        if let Some(first) = self
            .fields()
            .iter()
            .position(|field| self.errors.contains_key(field))
        {
            self.focus = first;
        }
        placed
    }
}

/// Why a field's value cannot be sent, if it cannot.
pub fn check(form: &UserForm, field: Field) -> Option<String> {
    let value = form.value(field).trim();
    match field {
        Field::Username => {
            if value.is_empty() {
                Some("required".into())
            } else if value.chars().any(char::is_whitespace) {
                Some("no spaces".into())
            } else {
                None
            }
        }
        Field::Email => {
            if value.is_empty() && form.is_create() {
                return Some("required".into());
            }
            if value.is_empty() {
                return None;
            }
            let shape_ok = value.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
            (!shape_ok || value.contains(char::is_whitespace))
                .then(|| "not an email (name@host.tld)".into())
        }
        Field::Mobile => {
            if value.is_empty() {
                return None;
            }
            let digits = value.chars().filter(char::is_ascii_digit).count();
            let allowed = value.chars().enumerate().all(|(index, c)| {
                c.is_ascii_digit() || c == ' ' || c == '-' || (c == '+' && index == 0)
            });
            (!allowed || !(7..=15).contains(&digits))
                .then(|| "7 to 15 digits, may start with +".into())
        }
        Field::Expiration => {
            if value.is_empty() {
                return None;
            }
            NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .is_err()
                .then(|| "a date as YYYY-MM-DD".into())
        }
        Field::Password => {
            let length = form.value(field).chars().count();
            if length == 0 {
                Some("required".into())
            } else if length < 8 {
                Some("at least 8 characters".into())
            } else {
                None
            }
        }
        Field::PasswordAgain => (form.value(Field::Password) != form.value(Field::PasswordAgain))
            .then(|| "the two passwords differ".into()),
        Field::FirstName | Field::LastName | Field::Role | Field::Status | Field::Plan => None,
    }
}

/// Whether two reads of a user agree on every field the edit form changes: a save goes
/// ahead only when the server's copy still agrees with the one the form opened on.
pub fn same_editable_fields(a: &User, b: &User) -> bool {
    a.username == b.username
        && a.email == b.email
        && a.first_name == b.first_name
        && a.last_name == b.last_name
        && a.mobile == b.mobile
        && a.role == b.role
        && a.status == b.status
        && a.plan.as_ref().map(|plan| plan.id) == b.plan.as_ref().map(|plan| plan.id)
        && a.expiration_date == b.expiration_date
}
