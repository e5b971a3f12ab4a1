//! Security: the address rule against request forgery (a poll over loopback servers on
//! 127.0.0.1/.2/.3), the HTTP server's limits (raw TCP clients), and hostile text through
//! every path to HTML.

mod server;
mod ssrf;
mod xss;
