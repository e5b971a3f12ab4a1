//! `tidings subscribers add|list|remove`: on the database directly when no daemon runs,
//! else through the running daemon's admin API (sled lets one process open the
//! database), saying which it did.

use super::{SubscribersCommand, load_config};
use crate::config::Config;
use crate::notify::subscription::{self, Added};
use crate::server::admin::{AddRequest, SubscriberView};
use crate::store::{Store, StoreError};
use chrono::Utc;
use std::net::SocketAddr;

/// How a command reaches the database (`tidings chats list` shares this).
pub(super) enum Access {
    Local(Box<Store>),
    Daemon {
        base: String,
        token: String,
        client: reqwest::Client,
    },
}

/// The database itself, or the running daemon when it holds it.
pub(super) fn access(config: &Config) -> anyhow::Result<Access> {
    match Store::open_configured(config) {
        Ok(store) => Ok(Access::Local(Box::new(store))),
        Err(e @ StoreError::Locked { .. }) => {
            let Some(token) = config.daemon.admin_token.clone() else {
                anyhow::bail!(
                    "{e}.\nSet [daemon] admin_token (e.g. \"${{TIDINGS_ADMIN_TOKEN}}\") so that \
                     this command can ask the running daemon, or stop the daemon first."
                );
            };
            let mut addr = config.daemon.listen;
            // A daemon listening on every address is reached on loopback.
            if addr.ip().is_unspecified() {
                addr = match addr {
                    SocketAddr::V4(a) => SocketAddr::from(([127, 0, 0, 1], a.port())),
                    SocketAddr::V6(a) => {
                        SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, a.port()))
                    }
                };
            }
            eprintln!("(the daemon holds the database; asking it at http://{addr}/admin)");
            Ok(Access::Daemon {
                base: format!("http://{addr}/admin"),
                token,
                client: reqwest::Client::builder()
                    .timeout(std::time::Duration::from_secs(30))
                    .build()?,
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// The admin API's answer as JSON, or its error text.
pub(super) async fn answer<T: serde::de::DeserializeOwned>(
    r: Result<reqwest::Response, reqwest::Error>,
) -> anyhow::Result<T> {
    let r = r.map_err(|e| anyhow::anyhow!("cannot reach the daemon's admin API: {e}"))?;
    let status = r.status();
    if !status.is_success() {
        let text = r.text().await.unwrap_or_default();
        anyhow::bail!("the daemon answered {status}: {}", text.trim());
    }
    Ok(r.json().await?)
}

pub async fn run(what: SubscribersCommand) -> anyhow::Result<i32> {
    match what {
        SubscribersCommand::Add {
            address,
            list,
            confirmed,
            keywords,
            config,
        } => {
            let Ok(config) = load_config(&config) else {
                return Ok(1);
            };
            let keywords = subscription::parse_keywords(&keywords.join(" "));
            let added: Added = match access(&config)? {
                Access::Local(store) => subscription::add(
                    &store,
                    &config,
                    &list,
                    &address,
                    keywords,
                    confirmed,
                    Utc::now(),
                )?,
                Access::Daemon {
                    base,
                    token,
                    client,
                } => {
                    let req = AddRequest {
                        list: list.clone(),
                        address: address.clone(),
                        keywords,
                        confirmed,
                    };
                    let r = client
                        .post(format!("{base}/subscribers"))
                        .bearer_auth(token)
                        .json(&req)
                        .send()
                        .await;
                    let v: serde_json::Value = answer(r).await?;
                    serde_json::from_value(v["added"].clone())?
                }
            };
            match added {
                Added::Active => println!("{address}: active on {list}"),
                Added::Pending => println!(
                    "{address}: pending on {list}; a confirmation mail is queued \
                     (the daemon, or `tidings deliver`, sends it)"
                ),
                Added::AlreadyActive => println!("{address}: already active on {list}"),
            }
            Ok(0)
        }
        SubscribersCommand::List { list, json, config } => {
            let Ok(config) = load_config(&config) else {
                return Ok(1);
            };
            let rows: Vec<SubscriberView> = match access(&config)? {
                Access::Local(store) => store
                    .subscribers(list.as_deref())?
                    .into_iter()
                    .map(SubscriberView::from)
                    .collect(),
                Access::Daemon {
                    base,
                    token,
                    client,
                } => {
                    let mut req = client.get(format!("{base}/subscribers")).bearer_auth(token);
                    if let Some(l) = &list {
                        req = req.query(&[("list", l)]);
                    }
                    answer(req.send().await).await?
                }
            };
            for s in &rows {
                if json {
                    println!("{}", serde_json::to_string(s)?);
                } else {
                    let keywords = if s.keywords.is_empty() {
                        String::new()
                    } else {
                        format!("  [{}]", s.keywords.join(", "))
                    };
                    let error = s
                        .last_error
                        .as_deref()
                        .map(|e| format!("  last error: {e}"))
                        .unwrap_or_default();
                    println!(
                        "{:40} {:16} {:12}{keywords}{error}",
                        s.address, s.list, s.state
                    );
                }
            }
            eprintln!("{} subscribers", rows.len());
            Ok(0)
        }
        SubscribersCommand::Remove {
            address,
            list,
            config,
        } => {
            let Ok(config) = load_config(&config) else {
                return Ok(1);
            };
            let removed: Vec<String> = match access(&config)? {
                Access::Local(store) => subscription::remove(&store, list.as_deref(), &address)?,
                Access::Daemon {
                    base,
                    token,
                    client,
                } => {
                    let mut query = vec![("address", address.clone())];
                    if let Some(l) = &list {
                        query.push(("list", l.clone()));
                    }
                    let r = client
                        .delete(format!("{base}/subscribers"))
                        .bearer_auth(token)
                        .query(&query)
                        .send()
                        .await;
                    let v: serde_json::Value = answer(r).await?;
                    serde_json::from_value(v["removed"].clone())?
                }
            };
            if removed.is_empty() {
                println!(
                    "{address}: not subscribed{}",
                    list.map(|l| format!(" to {l}")).unwrap_or_default()
                );
                return Ok(1);
            }
            println!("{address}: removed from {}", removed.join(", "));
            Ok(0)
        }
    }
}
