//! Integration tests, compiled into one binary (one link, topic modules).
//! They talk to real servers on loopback and read `../shared/corpus`; none touches
//! the internet.

mod support;

mod chat;
mod cli;
mod config;
mod discover;
mod extract_corpus;
mod extract_fixtures;
mod faults;
mod feed_corpus;
mod fetch;
mod list_corpus;
mod list_fixtures;
mod notify;
mod opml;
mod pg_outbox;
mod poll;
mod poll_html;
mod publish;
mod reliability;
mod reload;
mod replicas;
mod security;
mod smtp_sink;
mod store;
mod store_move;
mod text_corpus;
mod websub;
