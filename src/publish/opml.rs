//! OPML 2.0 of the served feeds. (Skeleton.)

use crate::config::Config;

pub fn render(config: &Config) -> String {
    let _ = config;
    String::new()
}
