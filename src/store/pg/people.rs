//! Subscribers and their tokens, chats and robots, incidents, WebSub subscriptions.

use super::Pg;
use crate::store::*;
use chrono::{DateTime, Utc};

impl Pg {
    pub fn subscriber(&self, list: &str, address: &str) -> Result<Option<Subscriber>, StoreError> {
        let _ = (list, address);
        Err(StoreError::Unsupported("subscriber"))
    }

    pub fn subscribers(&self, list: Option<&str>) -> Result<Vec<Subscriber>, StoreError> {
        let _ = (list,);
        Err(StoreError::Unsupported("subscribers"))
    }

    pub fn put_subscriber(&self, s: &Subscriber) -> Result<(), StoreError> {
        let _ = (s,);
        Err(StoreError::Unsupported("put_subscriber"))
    }

    pub fn update_subscriber(
        &self,
        list: &str,
        address: &str,
        change: impl FnOnce(&mut Subscriber),
    ) -> Result<Option<Subscriber>, StoreError> {
        let _ = (list, address, change);
        Err(StoreError::Unsupported("update_subscriber"))
    }

    pub fn remove_subscriber(&self, list: &str, address: &str) -> Result<bool, StoreError> {
        let _ = (list, address);
        Err(StoreError::Unsupported("remove_subscriber"))
    }

    pub fn put_token(&self, token: &str, t: &Token) -> Result<(), StoreError> {
        let _ = (token, t);
        Err(StoreError::Unsupported("put_token"))
    }

    pub fn token(&self, token: &str) -> Result<Option<Token>, StoreError> {
        let _ = (token,);
        Err(StoreError::Unsupported("token"))
    }

    pub fn take_token(&self, token: &str) -> Result<Option<Token>, StoreError> {
        let _ = (token,);
        Err(StoreError::Unsupported("take_token"))
    }

    pub fn chat(&self, target: &Target) -> Result<Option<ChatState>, StoreError> {
        let _ = (target,);
        Err(StoreError::Unsupported("chat"))
    }

    pub fn chats(&self) -> Result<Vec<ChatState>, StoreError> {
        Err(StoreError::Unsupported("chats"))
    }

    pub fn put_chat(&self, chat: &ChatState) -> Result<(), StoreError> {
        let _ = (chat,);
        Err(StoreError::Unsupported("put_chat"))
    }

    pub fn update_chat(
        &self,
        target: &Target,
        change: impl FnOnce(&mut ChatState),
    ) -> Result<ChatState, StoreError> {
        let _ = (target, change);
        Err(StoreError::Unsupported("update_chat"))
    }

    pub fn follow_migration(&self, target: &Target) -> Result<Target, StoreError> {
        let _ = (target,);
        Err(StoreError::Unsupported("follow_migration"))
    }

    pub fn incidents(&self) -> Result<Vec<(String, Incident)>, StoreError> {
        Err(StoreError::Unsupported("incidents"))
    }

    pub fn set_incident(&self, key: &str, incident: Option<&Incident>) -> Result<(), StoreError> {
        let _ = (key, incident);
        Err(StoreError::Unsupported("set_incident"))
    }

    pub fn put_hub_subscription(&self, sub: &HubSubscription) -> Result<(), StoreError> {
        let _ = (sub,);
        Err(StoreError::Unsupported("put_hub_subscription"))
    }

    pub fn hub_subscription(&self, id: &str) -> Result<Option<HubSubscription>, StoreError> {
        let _ = (id,);
        Err(StoreError::Unsupported("hub_subscription"))
    }

    pub fn remove_hub_subscription(&self, id: &str) -> Result<bool, StoreError> {
        let _ = (id,);
        Err(StoreError::Unsupported("remove_hub_subscription"))
    }

    pub fn hub_subscriptions(&self) -> Result<Vec<HubSubscription>, StoreError> {
        Err(StoreError::Unsupported("hub_subscriptions"))
    }

    pub fn update_hub_subscription(
        &self,
        id: &str,
        change: impl Fn(&mut HubSubscription),
    ) -> Result<(), StoreError> {
        let _ = (id, change);
        Err(StoreError::Unsupported("update_hub_subscription"))
    }

    pub fn purge_expired_hub_subscriptions(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let _ = (now,);
        Err(StoreError::Unsupported("purge_expired_hub_subscriptions"))
    }

    pub fn push_subscription(&self, source: &str) -> Result<Option<PushSubscription>, StoreError> {
        let _ = (source,);
        Err(StoreError::Unsupported("push_subscription"))
    }

    pub fn put_push_subscription(&self, sub: &PushSubscription) -> Result<(), StoreError> {
        let _ = (sub,);
        Err(StoreError::Unsupported("put_push_subscription"))
    }

    pub fn update_push_subscription(
        &self,
        source: &str,
        change: impl Fn(&mut PushSubscription),
    ) -> Result<(), StoreError> {
        let _ = (source, change);
        Err(StoreError::Unsupported("update_push_subscription"))
    }

    pub fn remove_push_subscription(&self, source: &str) -> Result<(), StoreError> {
        let _ = (source,);
        Err(StoreError::Unsupported("remove_push_subscription"))
    }

    pub fn push_subscriptions(&self) -> Result<Vec<PushSubscription>, StoreError> {
        Err(StoreError::Unsupported("push_subscriptions"))
    }
}
