//! The flood-limit scheduler in virtual time: 10 chats × 200 items with Telegram's real
//! limits, sent as the worker sends (each chat in order, waiting for its slot). The rate
//! equals the limit and never exceeds it.

use std::time::Duration;
use tidings::notify::flood::{FloodGate, Window};
use tokio::time::Instant;

async fn run(
    chats: &[i64],
    items: usize,
    windows: impl Fn(i64) -> Vec<Window>,
) -> Vec<(i64, Instant)> {
    let gate = std::sync::Arc::new(FloodGate::new(30));
    let mut tasks = Vec::new();
    for &chat in chats {
        let gate = gate.clone();
        let w = windows(chat);
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            for _ in 0..items {
                let at = gate.reserve(&chat.to_string(), &w, Instant::now());
                tokio::time::sleep_until(at).await;
                times.push((chat, Instant::now()));
            }
            times
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort_by_key(|(_, t)| *t);
    all
}

fn max_in_window(times: &[Instant], per: Duration) -> usize {
    let mut best = 0;
    let mut j = 0;
    for i in 0..times.len() {
        while times[i] - times[j] >= per {
            j += 1;
        }
        best = best.max(i - j + 1);
    }
    best
}

#[tokio::test(start_paused = true)]
async fn ten_private_chats_get_one_message_a_second_each() {
    let start = Instant::now();
    let chats: Vec<i64> = (1..=10).collect();
    let all = run(&chats, 200, |_| {
        vec![Window::new(1, Duration::from_secs(1))]
    })
    .await;
    assert_eq!(all.len(), 2000);
    for chat in &chats {
        let t: Vec<Instant> = all
            .iter()
            .filter(|(c, _)| c == chat)
            .map(|(_, t)| *t)
            .collect();
        assert_eq!(max_in_window(&t, Duration::from_secs(1)), 1, "chat {chat}");
    }
    let every: Vec<Instant> = all.iter().map(|(_, t)| *t).collect();
    assert!(
        max_in_window(&every, Duration::from_secs(1)) <= 30,
        "the bot's limit"
    );
    // The rate equals the limit: 200 messages a chat take 199 seconds, plus the bot's
    // spacing of the ten chats' simultaneous sends.
    let took = *every.last().unwrap() - start;
    assert!(
        took >= Duration::from_secs(199) && took < Duration::from_secs(200),
        "{took:?}"
    );
    eprintln!(
        "10 private chats × 200: {took:?} virtual, {:.2} msg/s",
        2000.0 / took.as_secs_f64()
    );
}

#[tokio::test(start_paused = true)]
async fn ten_groups_get_twenty_a_minute_each() {
    let start = Instant::now();
    let chats: Vec<i64> = (1..=10).map(|i| -i).collect();
    let all = run(&chats, 200, |_| {
        vec![
            Window::new(1, Duration::from_secs(1)),
            Window::new(20, Duration::from_secs(60)),
        ]
    })
    .await;
    for chat in &chats {
        let t: Vec<Instant> = all
            .iter()
            .filter(|(c, _)| c == chat)
            .map(|(_, t)| *t)
            .collect();
        assert_eq!(
            max_in_window(&t, Duration::from_secs(60)),
            20,
            "chat {chat}"
        );
        assert_eq!(max_in_window(&t, Duration::from_secs(1)), 1);
    }
    let took = all.last().unwrap().1 - start;
    // 200 at 20 a minute: the last one starts the tenth minute.
    assert!(
        took >= Duration::from_secs(540) && took < Duration::from_secs(560),
        "{took:?}"
    );
    eprintln!(
        "10 groups × 200: {took:?} virtual, {:.2} msg/min per group",
        200.0 / took.as_secs_f64() * 60.0
    );
}
