//! `GeoboxClient`: every users, sessions, plans and members operation of the Geobox API.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use reqwest::{Method, StatusCode, Url};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::answer::{
    decode, decode_all, expect_list, expect_one, expect_page, parse_body, parse_count,
};
use super::error::{ApiError, ParseError, body_start};
use super::obfuscate::obfuscate_password;
use super::query::{PlanQuery, UserQuery};
use super::secret::Secret;
use super::types::{NewUserFields, Plan, Session, User, UserUpdate};

/// The public Geobox host, used when none is configured.
pub const DEFAULT_HOST: &str = "https://api.geobox.ir";
/// How long a request may take before it fails with [`ApiError::Timeout`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
/// The largest answer read: a page of 1,000 users is well under 1 MiB, so anything this big
/// is a broken or hostile server, refused before it takes the memory.
pub const MAX_ANSWER_BYTES: usize = 32 * 1024 * 1024;
/// The longest request address that can be sent (the `http` crate's limit on a URI); a longer
/// one, such as a search of 70,000 characters, is refused before it is sent.
pub const MAX_URL_BYTES: usize = 65_534;

/// How requests prove who is asking. The first configured way wins, in this order.
#[derive(Clone, Debug, PartialEq)]
pub enum Auth {
    /// `Authorization: Bearer <token>`
    AccessToken(Secret),
    /// `?apikey=<key>` on every request.
    ApiKey(Secret),
    /// Signs in through `auth/token/` and signs in again once when a token expires.
    Password { username: String, password: Secret },
    /// No credentials: only public endpoints work.
    Anonymous,
}

impl Auth {
    /// A short name for people: which way is in effect, never the secret.
    pub fn describe(&self) -> String {
        match self {
            Auth::AccessToken(_) => "access token".to_string(),
            Auth::ApiKey(_) => "API key".to_string(),
            Auth::Password { username, .. } => format!("username + password ({username})"),
            Auth::Anonymous => "none".to_string(),
        }
    }
}

/// A user by id, or the signed-in user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserRef {
    Id(i64),
    Me,
}

impl UserRef {
    fn path_segment(self) -> String {
        match self {
            UserRef::Id(id) => id.to_string(),
            UserRef::Me => "me".to_string(),
        }
    }
}

impl FromStr for UserRef {
    type Err = ParseError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        if input.eq_ignore_ascii_case("me") {
            return Ok(UserRef::Me);
        }
        match input.parse::<i64>() {
            Ok(id) if id > 0 => Ok(UserRef::Id(id)),
            _ => Err(ParseError::NotAUser(input.to_string())),
        }
    }
}

impl fmt::Display for UserRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path_segment())
    }
}

/// The base URL of the API (`{host}/v1/`) for a host given with or without `/v1`.
pub fn api_base_url(host: &str) -> Result<Url, ApiError> {
    let trimmed = host.trim().trim_end_matches('/');
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_string()
    } else {
        format!("https://{trimmed}")
    };
    let base = if with_scheme.ends_with("/v1") {
        format!("{with_scheme}/")
    } else {
        format!("{with_scheme}/v1/")
    };
    let url = Url::parse(&base).map_err(|error| {
        ApiError::InvalidInput(format!(
            "host '{}' is not a valid URL: {error}",
            redact_host(host)
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ApiError::InvalidInput(format!(
            "host '{}' must start with http:// or https://",
            redact_host(host)
        )));
    }
    Ok(url)
}

/// A host or URL fit to print: a user and password in it (`http://user:pass@host`) become
/// `***`. Everything that shows a host to people or logs goes through here.
pub fn redact_host(host: &str) -> String {
    let (scheme, rest) = match host.find("://") {
        Some(at) => host.split_at(at + 3),
        None => ("", host),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}***@{}", &rest[at + 1..]),
        None => host.to_string(),
    }
}

/// Where a password sign-in's token is kept between runs, so that the next run does not sign
/// in again. The client asks it before signing in, tells it each new token, and tells it to
/// forget a token the server refused.
pub trait TokenStore: Send + Sync {
    fn load(&self) -> Option<Secret>;
    fn save(&self, token: &Secret);
    fn forget(&self);
}

/// A request body.
enum Body {
    None,
    Json(Value),
    Form(Vec<(&'static str, String)>),
}

/// The Geobox API client. Cheap to share behind an `Arc`; connections are reused.
pub struct GeoboxClient {
    http: reqwest::Client,
    base: Url,
    auth: Auth,
    timeout: Duration,
    /// The token from `auth/token/` when signing in with a password.
    session_token: Mutex<Option<Secret>>,
    /// With password auth, the token kept between runs.
    token_store: Option<Box<dyn TokenStore>>,
}

impl fmt::Debug for GeoboxClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeoboxClient")
            .field("base", &redact_host(self.base.as_str()))
            .field("auth", &self.auth)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl GeoboxClient {
    /// A client for `host` (with or without `/v1`), signing requests with `auth`.
    pub fn new(host: &str, auth: Auth, timeout: Duration) -> Result<Self, ApiError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("geobox-users/", env!("CARGO_PKG_VERSION")))
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|error| {
                ApiError::InvalidInput(format!("cannot build the HTTP client: {error}"))
            })?;
        Ok(GeoboxClient {
            http,
            base: api_base_url(host)?,
            auth,
            timeout,
            session_token: Mutex::new(None),
            token_store: None,
        })
    }

    /// With password auth, reuses the token `store` keeps and keeps each new one there.
    pub fn with_token_store(mut self, store: Box<dyn TokenStore>) -> Self {
        self.token_store = Some(store);
        self
    }

    /// `{host}/v1/`
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// Signs in with the configured username and password now (otherwise it happens on the
    /// first request). Does nothing for the other ways.
    pub async fn login(&self) -> Result<(), ApiError> {
        if let Auth::Password { username, password } = &self.auth {
            let token = self.fetch_token(username, password).await?;
            self.keep_token(&token);
            *self.session_token.lock().await = Some(token);
        }
        Ok(())
    }

    // ---- users ----

    /// `GET users/`: one page of users, as the server sent them.
    pub async fn list_users_raw(&self, query: &UserQuery) -> Result<Vec<Value>, ApiError> {
        let value = self
            .request(Method::GET, "users/", &query.to_params(false), Body::None)
            .await?;
        expect_page::<User>(value, query.limit)
    }

    /// `GET users/`: one page of users.
    pub async fn list_users(&self, query: &UserQuery) -> Result<Vec<User>, ApiError> {
        decode_all(self.list_users_raw(query).await?)
    }

    /// `GET users/?return_count=True`: how many users match (skip and limit do not matter).
    pub async fn count_users(&self, query: &UserQuery) -> Result<u64, ApiError> {
        let value = self
            .request(Method::GET, "users/", &query.to_params(true), Body::None)
            .await?;
        parse_count(&value)
    }

    /// `GET users/search/`, as the server sent them.
    pub async fn search_users_raw(
        &self,
        term: &str,
        skip: u64,
        limit: u64,
    ) -> Result<Vec<Value>, ApiError> {
        let params = [
            ("search", term.to_string()),
            ("skip", skip.to_string()),
            ("limit", limit.to_string()),
        ];
        let value = self
            .request(Method::GET, "users/search/", &params, Body::None)
            .await?;
        expect_page::<User>(value, limit)
    }

    /// `GET users/search/`
    pub async fn search_users(
        &self,
        term: &str,
        skip: u64,
        limit: u64,
    ) -> Result<Vec<User>, ApiError> {
        decode_all(self.search_users_raw(term, skip, limit).await?)
    }

    /// `GET users/{id}/` or `users/me/`, as the server sent it.
    pub async fn get_user_raw(&self, user: UserRef) -> Result<Value, ApiError> {
        let path = format!("users/{}/", user.path_segment());
        let value = self
            .request(Method::GET, &path, &[("f", "json".to_string())], Body::None)
            .await?;
        expect_one::<User>(value)
    }

    /// The id of a user: `me` is asked for with `GET users/me/`, because the contract knows
    /// `me` only there (`users/me/sessions/` is not a path of it).
    pub async fn user_id(&self, user: UserRef) -> Result<i64, ApiError> {
        match user {
            UserRef::Id(id) => Ok(id),
            UserRef::Me => {
                let me = self.get_user(UserRef::Me).await?;
                if me.id > 0 {
                    Ok(me.id)
                } else {
                    Err(ApiError::Decode {
                        status: 200,
                        reason: format!("users/me/ answered with id {}", me.id),
                        body_start: String::new(),
                    })
                }
            }
        }
    }

    /// `GET users/{id}/` or `users/me/`
    pub async fn get_user(&self, user: UserRef) -> Result<User, ApiError> {
        decode(self.get_user_raw(user).await?)
    }

    /// `POST users/`: the password travels obfuscated, optional fields only when given.
    pub async fn create_user(&self, new_user: impl Into<NewUserFields>) -> Result<User, ApiError> {
        decode(self.create_user_raw(new_user).await?)
    }

    /// `POST users/`, the created user as the server sent it.
    pub async fn create_user_raw(
        &self,
        new_user: impl Into<NewUserFields>,
    ) -> Result<Value, ApiError> {
        let body = Value::Object(new_user.into().to_json());
        let value = self
            .request(Method::POST, "users/", &[], Body::Json(body))
            .await?;
        expect_one::<User>(value)
    }

    /// `PUT users/{id}/` with only the changed fields.
    pub async fn update_user(&self, id: i64, update: &UserUpdate) -> Result<User, ApiError> {
        decode(self.update_user_raw(id, update).await?)
    }

    /// `PUT users/{id}/`, the updated user as the server sent it.
    pub async fn update_user_raw(&self, id: i64, update: &UserUpdate) -> Result<Value, ApiError> {
        if update.is_empty() {
            return Err(ApiError::InvalidInput(
                "nothing to update: no field was changed".to_string(),
            ));
        }
        let path = format!("users/{id}/");
        let body = Value::Object(update.to_json());
        let value = self
            .request(Method::PUT, &path, &[], Body::Json(body))
            .await?;
        expect_one::<User>(value)
    }

    /// `DELETE users/{id}/`
    pub async fn delete_user(&self, id: i64) -> Result<(), ApiError> {
        self.request(Method::DELETE, &format!("users/{id}/"), &[], Body::None)
            .await
            .map(drop)
    }

    /// `POST users/{id}/change-password`, form-encoded, the password obfuscated.
    pub async fn change_password(&self, id: i64, new_password: &Secret) -> Result<(), ApiError> {
        let form = vec![("new_password", obfuscate_password(new_password.expose()))];
        self.request(
            Method::POST,
            &format!("users/{id}/change-password"),
            &[],
            Body::Form(form),
        )
        .await
        .map(drop)
    }

    /// `POST users/{id}/renewPlan`
    pub async fn renew_plan(&self, id: i64) -> Result<(), ApiError> {
        self.request(
            Method::POST,
            &format!("users/{id}/renewPlan"),
            &[],
            Body::None,
        )
        .await
        .map(drop)
    }

    // ---- sessions ----

    /// `GET users/{id}/sessions/`, as the server sent them; `me` is resolved to an id first.
    pub async fn list_sessions_raw(&self, user: UserRef) -> Result<Vec<Value>, ApiError> {
        let path = format!("users/{}/sessions/", self.user_id(user).await?);
        expect_list::<Session>(
            self.request(Method::GET, &path, &[("f", "json".to_string())], Body::None)
                .await?,
        )
    }

    /// `GET users/{id}/sessions/`
    pub async fn list_sessions(&self, user: UserRef) -> Result<Vec<Session>, ApiError> {
        decode_all(self.list_sessions_raw(user).await?)
    }

    /// `POST users/{id}/sessions/{uuid}`: signs that session out.
    pub async fn close_session(&self, user_id: i64, uuid: &str) -> Result<(), ApiError> {
        let path = format!("users/{user_id}/sessions/{}", path_escape(uuid));
        let body = json!({"user_id": user_id, "session_uuid": uuid});
        self.request(Method::POST, &path, &[], Body::Json(body))
            .await
            .map(drop)
    }

    // ---- plans ----

    /// `GET plans/`, as the server sent them.
    pub async fn list_plans_raw(&self, query: &PlanQuery) -> Result<Vec<Value>, ApiError> {
        expect_page::<Plan>(
            self.request(Method::GET, "plans/", &query.to_params(), Body::None)
                .await?,
            query.limit,
        )
    }

    /// `GET plans/`
    pub async fn list_plans(&self, query: &PlanQuery) -> Result<Vec<Plan>, ApiError> {
        decode_all(self.list_plans_raw(query).await?)
    }

    /// `GET plans/{id}/`
    pub async fn get_plan(&self, id: i64) -> Result<Plan, ApiError> {
        let path = format!("plans/{id}/");
        decode(
            self.request(Method::GET, &path, &[("f", "json".to_string())], Body::None)
                .await?,
        )
    }

    // ---- members ----

    /// `GET users/{id}/members`, as the server sent them.
    pub async fn list_members_raw(&self, id: i64) -> Result<Vec<Value>, ApiError> {
        expect_list::<User>(
            self.request(Method::GET, &format!("users/{id}/members"), &[], Body::None)
                .await?,
        )
    }

    /// `GET users/{id}/members`
    pub async fn list_members(&self, id: i64) -> Result<Vec<User>, ApiError> {
        decode_all(self.list_members_raw(id).await?)
    }

    /// `POST users/{id}/members/{member_id}`
    pub async fn add_member(&self, id: i64, member_id: i64) -> Result<(), ApiError> {
        let path = format!("users/{id}/members/{member_id}");
        self.request(Method::POST, &path, &[], Body::None)
            .await
            .map(drop)
    }

    /// `DELETE users/{id}/members/{member_id}`
    pub async fn remove_member(&self, id: i64, member_id: i64) -> Result<(), ApiError> {
        let path = format!("users/{id}/members/{member_id}");
        self.request(Method::DELETE, &path, &[], Body::None)
            .await
            .map(drop)
    }

    // ---- transport ----

    /// Sends one request and returns its JSON body (`Null` when empty). With password auth,
    /// a 401 signs in once more and retries once.
    async fn request(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, String)],
        body: Body,
    ) -> Result<Value, ApiError> {
        let url = self
            .base
            .join(path)
            .map_err(|error| ApiError::InvalidInput(format!("bad path '{path}': {error}")))?;
        let mut signed_in_again = false;
        loop {
            let token = self.bearer_token().await?;
            let mut builder = self.http.request(method.clone(), url.clone());
            let mut query: Vec<(&str, &str)> = params
                .iter()
                .map(|(key, value)| (*key, value.as_str()))
                .collect();
            match (&self.auth, &token) {
                (_, Some(token)) => builder = builder.bearer_auth(token.expose()),
                (Auth::ApiKey(key), None) => query.push(("apikey", key.expose())),
                _ => {}
            }
            if !query.is_empty() {
                builder = builder.query(&query);
            }
            builder = match &body {
                Body::None => builder,
                Body::Json(json) => builder.json(json),
                Body::Form(form) => builder.form(form),
            };
            let (status, bytes) = self.send(builder).await?;
            if status == StatusCode::UNAUTHORIZED
                && !signed_in_again
                && matches!(self.auth, Auth::Password { .. })
            {
                tracing::info!(%method, path, "401: signing in again and retrying once");
                let mut session = self.session_token.lock().await;
                // Another request may have signed in again meanwhile: keep its fresh token.
                if *session == token {
                    *session = None;
                    if let Some(store) = &self.token_store {
                        store.forget();
                    }
                }
                drop(session);
                signed_in_again = true;
                continue;
            }
            if !status.is_success() {
                let error = ApiError::from_response(status.as_u16(), &bytes);
                tracing::debug!(%method, path, status = status.as_u16(), %error, "request failed");
                return Err(error);
            }
            tracing::debug!(%method, path, status = status.as_u16(), "request ok");
            return parse_body(status.as_u16(), &bytes);
        }
    }

    /// The bearer token to send, signing in first when password auth has none yet.
    async fn bearer_token(&self) -> Result<Option<Secret>, ApiError> {
        match &self.auth {
            Auth::AccessToken(token) => Ok(Some(token.clone())),
            Auth::Password { username, password } => {
                let mut session = self.session_token.lock().await;
                if session.is_none() {
                    *session = self.token_store.as_ref().and_then(|store| store.load());
                }
                if session.is_none() {
                    let token = self.fetch_token(username, password).await?;
                    self.keep_token(&token);
                    *session = Some(token);
                }
                Ok(session.clone())
            }
            Auth::ApiKey(_) | Auth::Anonymous => Ok(None),
        }
    }

    fn keep_token(&self, token: &Secret) {
        if let Some(store) = &self.token_store {
            store.save(token);
        }
    }

    /// `POST auth/token/` with the plain password, form-encoded.
    async fn fetch_token(&self, username: &str, password: &Secret) -> Result<Secret, ApiError> {
        let url = self
            .base
            .join("auth/token/")
            .map_err(|error| ApiError::InvalidInput(error.to_string()))?;
        let form = [("username", username), ("password", password.expose())];
        let (status, bytes) = self.send(self.http.post(url).form(&form)).await?;
        if !status.is_success() {
            return Err(match ApiError::from_response(status.as_u16(), &bytes) {
                ApiError::Unauthorized { message } => ApiError::Unauthorized {
                    message: format!("signing in as '{username}' failed: {message}"),
                },
                other => other,
            });
        }
        let json: Value = serde_json::from_slice(&bytes).map_err(|error| ApiError::Decode {
            status: status.as_u16(),
            reason: format!("sign-in answer is not JSON ({error})"),
            body_start: body_start(&bytes),
        })?;
        json.get("access_token")
            .and_then(Value::as_str)
            .map(Secret::from)
            .ok_or_else(|| ApiError::Decode {
                status: status.as_u16(),
                reason: "sign-in answer has no access_token".to_string(),
                // Only the keys: the values may be a token under another name.
                body_start: json
                    .as_object()
                    .map(|object| object.keys().cloned().collect::<Vec<_>>().join(", "))
                    .unwrap_or_default(),
            })
    }

    /// Sends a request and reads its whole answer; a failure on the way is a transport error.
    async fn send(
        &self,
        builder: reqwest::RequestBuilder,
    ) -> Result<(StatusCode, Vec<u8>), ApiError> {
        let request = builder
            .build()
            .map_err(|error| self.transport_error(error))?;
        let length = request.url().as_str().len();
        if length > MAX_URL_BYTES {
            return Err(ApiError::InvalidInput(format!(
                "the request is too long to send: its address would be {length} characters, \
                 more than the {MAX_URL_BYTES} an HTTP request can carry; shorten the search \
                 or the filter"
            )));
        }
        let mut response = self
            .http
            .execute(request)
            .await
            .map_err(|error| self.transport_error(error))?;
        let status = response.status();
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| self.transport_error(error))?
        {
            if bytes.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(ApiError::Decode {
                    status: status.as_u16(),
                    reason: format!(
                        "the answer is larger than {} MiB",
                        MAX_ANSWER_BYTES / (1024 * 1024)
                    ),
                    body_start: body_start(&bytes),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok((status, bytes))
    }

    fn transport_error(&self, error: reqwest::Error) -> ApiError {
        // The URL may carry `?apikey=`: errors are shown and logged, so they never quote it.
        let error = error.without_url();
        if error.is_timeout() {
            return ApiError::Timeout {
                after: self.timeout,
            };
        }
        let mut reason = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(inner) = source {
            reason = format!("{reason}: {inner}");
            source = inner.source();
        }
        ApiError::Connection {
            url: redact_host(self.base.as_str()),
            reason,
        }
    }
}

fn path_escape(segment: &str) -> String {
    urlencoding::encode(segment).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_accepts_hosts_with_and_without_v1() {
        for host in [
            "https://api.geobox.ir",
            "https://api.geobox.ir/",
            "https://api.geobox.ir/v1",
            "https://api.geobox.ir/v1/",
            "api.geobox.ir",
        ] {
            assert_eq!(
                api_base_url(host).expect("valid").as_str(),
                "https://api.geobox.ir/v1/",
                "{host}"
            );
        }
        assert!(api_base_url("ftp://x").is_err());
    }

    #[test]
    fn hosts_are_printed_without_their_password() {
        for (host, shown) in [
            (
                "http://ops:hunter2@h.example:8080/v1/",
                "http://***@h.example:8080/v1/",
            ),
            ("ops:hunter2@h.example", "***@h.example"),
            (
                "https://h.example/v1/?next=a@b",
                "https://h.example/v1/?next=a@b",
            ),
            ("https://a@b:c@h.example", "https://***@h.example"),
            ("https://h.example", "https://h.example"),
        ] {
            assert_eq!(redact_host(host), shown, "{host}");
        }
        let client = GeoboxClient::new(
            "http://ops:hunter2@127.0.0.1:1",
            Auth::Anonymous,
            DEFAULT_TIMEOUT,
        )
        .expect("client");
        assert!(!format!("{client:?}").contains("hunter2"));
    }

    #[test]
    fn user_refs_parse() {
        assert_eq!("me".parse(), Ok(UserRef::Me));
        assert_eq!("12".parse(), Ok(UserRef::Id(12)));
        assert!("0".parse::<UserRef>().is_err());
        assert!("bob".parse::<UserRef>().is_err());
    }

    #[test]
    fn debug_redacts_secrets() {
        let client = GeoboxClient::new(
            "http://127.0.0.1:1",
            Auth::Password {
                username: "admin".into(),
                password: "hunter2".into(),
            },
            DEFAULT_TIMEOUT,
        )
        .expect("client");
        let debug = format!("{client:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("admin"));
    }
}
