//! Stored items → RSS 2.0, Atom, JSON Feed, OPML. (Skeleton.)

pub mod opml;
