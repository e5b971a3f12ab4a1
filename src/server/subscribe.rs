//! The public sign-up pages: `GET/POST /subscribe/{list}`, `GET /confirm?token=…`,
//! `GET/POST /unsubscribe?token=…` (the POST is RFC 8058's one-click unsubscribe).
//!
//! Every answer to a sign-up is the same page, whether the address was new, pending or
//! already subscribed: the form never reveals who is on a list. Pages work without
//! JavaScript and are rendered from templates in the list's language.

use super::Shared;
use crate::config::{Language, ListConfig};
use crate::notify::subscription::{self, SubscriptionError};
use crate::templates::words;
use axum::Form;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Deserialize)]
pub struct SignUp {
    #[serde(default)]
    email: String,
    #[serde(default)]
    keywords: String,
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

fn list(shared: &Shared, id: &str) -> Option<ListConfig> {
    shared.config().lists.iter().find(|l| l.id == id).cloned()
}

fn render(shared: &Shared, status: StatusCode, name: &str, ctx: serde_json::Value) -> Response {
    match shared.templates.render(name, ctx) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => internal_error("cannot render a page", &e),
    }
}

/// A one-message page (`pages/message.html`).
fn message(
    shared: &Shared,
    status: StatusCode,
    lang: Language,
    list: Option<&ListConfig>,
    heading: &str,
    text: &str,
    address: Option<&str>,
) -> Response {
    let ctx = serde_json::json!({
        "lang": lang.code(),
        "heading": words(lang)[heading],
        "text": words(lang)[text],
        "address": address,
        "list": list.map(|l| serde_json::json!({"id": l.id, "title": l.title})),
    });
    render(shared, status, "pages/message.html", ctx)
}

/// A 500 for a visitor, the reason for the log.
fn internal_error(what: &str, e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "{what}");
    (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
}

fn not_found(shared: &Shared) -> Response {
    message(
        shared,
        StatusCode::NOT_FOUND,
        Language::En,
        None,
        "unknown_list",
        "unknown_list",
        None,
    )
}

fn form(
    shared: &Shared,
    l: &ListConfig,
    status: StatusCode,
    error: Option<&str>,
    s: &SignUp,
) -> Response {
    let ctx = serde_json::json!({
        "lang": l.language.code(),
        "t": words(l.language),
        "list": {"id": l.id, "title": l.title, "description": l.description},
        "action": format!("{}subscribe/{}", base_path(shared), l.id),
        "error": error,
        "email": s.email,
        "keywords": s.keywords,
    });
    render(shared, status, "pages/subscribe.html", ctx)
}

/// The path prefix of `public_url` (a daemon behind a proxy at `/news/`).
fn base_path(shared: &Shared) -> String {
    let config = shared.config();
    let p = config.daemon.public_url.path();
    if p.ends_with('/') {
        p.to_string()
    } else {
        format!("{p}/")
    }
}

pub(super) async fn show_form(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Response {
    let Some(l) = list(&shared, &id) else {
        return not_found(&shared);
    };
    let l = &l;
    let empty = SignUp {
        email: String::new(),
        keywords: String::new(),
    };
    form(&shared, l, StatusCode::OK, None, &empty)
}

pub(super) async fn sign_up(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    Form(input): Form<SignUp>,
) -> Response {
    let Some(l) = list(&shared, &id) else {
        return not_found(&shared);
    };
    let l = &l;
    let t = words(l.language);
    if !shared.signups.allow(peer.ip()) {
        tracing::warn!(client = %peer.ip(), "sign-up rate limit");
        return form(
            &shared,
            l,
            StatusCode::TOO_MANY_REQUESTS,
            Some(t["too_many"]),
            &input,
        );
    }
    let keywords = subscription::parse_keywords(&input.keywords);
    let store = shared.store.clone();
    let config = shared.config();
    let (list_id, email) = (l.id.clone(), input.email.clone());
    let result = tokio::task::spawn_blocking(move || {
        subscription::sign_up(&store, &config, &list_id, &email, keywords, Utc::now())
    })
    .await;
    match result {
        Ok(Ok(())) => {
            shared.outbox_wake.notify_one();
            message(
                &shared,
                StatusCode::OK,
                l.language,
                Some(l),
                "check_mail",
                "check_mail_text",
                None,
            )
        }
        Ok(Err(SubscriptionError::BadAddress(_))) => form(
            &shared,
            l,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(t["bad_address"]),
            &input,
        ),
        Ok(Err(e)) => internal_error("sign-up failed", &e),
        Err(e) => internal_error("sign-up task failed", &e),
    }
}

/// The language to answer a token in: its list's, else English.
fn lang_of(shared: &Shared, list_id: Option<&str>) -> (Language, Option<ListConfig>) {
    let l = list_id.and_then(|id| list(shared, id));
    (l.as_ref().map_or(Language::En, |l| l.language), l)
}

/// The page that says a confirmation or an unsubscription took effect, in the list's
/// language.
fn done(shared: &Shared, s: &crate::store::Subscriber, heading: &str, text: &str) -> Response {
    let (lang, l) = lang_of(shared, Some(&s.list));
    message(
        shared,
        StatusCode::OK,
        lang,
        l.as_ref(),
        heading,
        text,
        Some(&s.address),
    )
}

fn bad_token(shared: &Shared) -> Response {
    message(
        shared,
        StatusCode::BAD_REQUEST,
        Language::En,
        None,
        "bad_token",
        "bad_token_text",
        None,
    )
}

pub(super) async fn confirm(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<TokenQuery>,
) -> Response {
    match subscription::confirm(&shared.store, &q.token, Utc::now()) {
        Ok(Some(s)) => done(&shared, &s, "confirmed", "confirmed_text"),
        Ok(None) => bad_token(&shared),
        Err(e) => internal_error("confirmation failed", &e),
    }
}

pub(super) async fn unsubscribe_page(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<TokenQuery>,
) -> Response {
    match subscription::unsubscribe_target(&shared.store, &q.token) {
        Ok(Some(s)) => {
            let (lang, l) = lang_of(&shared, Some(&s.list));
            let title = l.as_ref().map_or(s.list.clone(), |l| l.title.clone());
            let ctx = serde_json::json!({
                "lang": lang.code(),
                "t": words(lang),
                "list": {"id": s.list, "title": title},
                "address": s.address,
                "token": q.token,
                "action": format!("{}unsubscribe?token={}", base_path(&shared), q.token),
            });
            render(&shared, StatusCode::OK, "pages/unsubscribe.html", ctx)
        }
        Ok(None) => bad_token(&shared),
        Err(e) => internal_error("unsubscribe page failed", &e),
    }
}

/// RFC 8058: a POST to the `List-Unsubscribe` URL (body `List-Unsubscribe=One-Click`)
/// unsubscribes at once, with no further page to click.
pub(super) async fn unsubscribe(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<TokenQuery>,
    body: axum::body::Bytes,
) -> Response {
    // The one-click body is `List-Unsubscribe=One-Click`; our own form adds `token=…`.
    let token = url::form_urlencoded::parse(&body)
        .find(|(k, v)| k == "token" && !v.is_empty())
        .map(|(_, v)| v.into_owned())
        .unwrap_or(q.token);
    match subscription::unsubscribe(&shared.store, &token) {
        Ok(Some(s)) => done(&shared, &s, "unsubscribed", "unsubscribed_text"),
        Ok(None) => bad_token(&shared),
        Err(e) => internal_error("unsubscribe failed", &e),
    }
}
