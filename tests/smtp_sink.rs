//! The SMTP sink itself (tests/support/smtp.rs, smtp_sink.py), proved with lettre the
//! way the daemon will send: what arrives is parsed back field by field, 5xx and 4xx
//! answers surface as lettre's permanent and transient errors, a stopped sink refuses
//! connections and a restarted one takes mail on the same port, AUTH works.

use crate::support::smtp::{Rules, SmtpSink};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

type Transport = AsyncSmtpTransport<Tokio1Executor>;

fn transport(sink: &SmtpSink) -> Transport {
    Transport::from_url(&sink.url()).unwrap().build()
}

/// A plain-text message from news@tidings.test to `to`.
fn note(to: &str, subject: &str) -> Message {
    Message::builder()
        .from("Tidings <news@tidings.test>".parse().unwrap())
        .to(to.parse().unwrap())
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(format!("{subject}\n"))
        .unwrap()
}

fn raw_header(name: &'static str, value: &str) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value.into())
}

#[tokio::test]
#[cfg_attr(
    no_aiosmtpd,
    ignore = "needs Python with aiosmtpd (set TIDINGS_PYTHON)"
)]
async fn multipart_chinese_mail_arrives_parsed() {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let subject = "每日要闻：国务院常务会议（2026年1月5日）";
    let text = "国务院总理主持召开国务院常务会议。\n部署推进一系列重点工作。\n";
    let html = "<h1>国务院常务会议</h1>\n<p>部署推进一系列重点工作。</p>\n";
    let mut message = Message::builder()
        .from("新闻摘要 <news@tidings.test>".parse::<Mailbox>().unwrap())
        .to("读者 <reader@example.cn>".parse::<Mailbox>().unwrap())
        .subject(subject)
        .message_id(Some("<digest-1@tidings.test>".into()))
        .multipart(MultiPart::alternative_plain_html(
            text.to_string(),
            html.to_string(),
        ))
        .unwrap();
    let headers = message.headers_mut();
    headers.insert_raw(raw_header("List-Id", "每日要闻 <daily.tidings.test>"));
    headers.insert_raw(raw_header(
        "List-Unsubscribe",
        "<https://tidings.test/unsubscribe/abc>",
    ));
    headers.insert_raw(raw_header(
        "List-Unsubscribe-Post",
        "List-Unsubscribe=One-Click",
    ));
    let sent_raw = message.formatted();

    transport(&sink).send(message).await.unwrap();
    let mails = sink.wait_for(1);
    assert_eq!(mails.len(), 1);
    let m = &mails[0];

    assert_eq!(m.mail_from, "news@tidings.test");
    assert_eq!(m.rcpt_tos, ["reader@example.cn"]);
    assert_eq!(m.subject, subject);
    assert_eq!(m.from, "新闻摘要 <news@tidings.test>");
    assert_eq!(m.to, "读者 <reader@example.cn>");
    let date = m.date.as_deref().expect("lettre adds Date");
    chrono::DateTime::parse_from_rfc2822(date).unwrap_or_else(|e| panic!("{date:?}: {e}"));
    assert_eq!(m.message_id.as_deref(), Some("<digest-1@tidings.test>"));
    assert_eq!(m.list_id.as_deref(), Some("每日要闻 <daily.tidings.test>"));
    assert_eq!(
        m.list_unsubscribe.as_deref(),
        Some("<https://tidings.test/unsubscribe/abc>")
    );
    assert_eq!(
        m.list_unsubscribe_post.as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert_eq!(m.content_type, "multipart/alternative");
    assert!(m.is_multipart);
    assert_eq!(m.text.as_deref(), Some(text));
    assert_eq!(m.html.as_deref(), Some(html));

    // Headers in order, decoded; the encoded forms are only in the raw message.
    assert_eq!(m.header("subject"), Some(subject));
    assert_eq!(m.header("MIME-Version"), Some("1.0"));
    let names: Vec<&str> = m.headers.iter().map(|(n, _)| n.as_str()).collect();
    for name in ["From", "To", "Subject", "Date", "Message-ID", "List-Id"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    assert!(!names.iter().any(|n| n.starts_with("X-Envelope")));
    // The bytes lettre formatted, nothing injected, the Subject RFC 2047-encoded. Plus
    // one CRLF: lettre ends DATA with "\r\n.\r\n" after a message that already ends in
    // CRLF, and RFC 5321 counts that first CRLF as the end of a last, empty line.
    assert_eq!(m.raw, [&sent_raw[..], b"\r\n"].concat());
    let raw = String::from_utf8_lossy(&m.raw).to_lowercase();
    assert!(raw.contains("\r\nsubject: =?utf-8?b?"), "{raw}");
}

#[tokio::test]
#[cfg_attr(
    no_aiosmtpd,
    ignore = "needs Python with aiosmtpd (set TIDINGS_PYTHON)"
)]
async fn rejected_recipient_is_permanent_tempfail_is_transient() {
    let Some(sink) = SmtpSink::start_with(Rules {
        reject_rcpt: vec!["gone@".into()],
        tempfail_rcpt: vec![("grey@".into(), 2)],
        ..Rules::default()
    }) else {
        return;
    };
    let smtp = transport(&sink);

    let err = smtp.send(note("gone@example.cn", "a")).await.unwrap_err();
    assert!(err.is_permanent(), "{err:?}");
    assert_eq!(err.status().map(|c| c.to_string()).as_deref(), Some("550"));

    // Twice 451, then accepted.
    for _ in 0..2 {
        let err = smtp.send(note("grey@example.cn", "b")).await.unwrap_err();
        assert!(err.is_transient(), "{err:?}");
        assert_eq!(err.status().map(|c| c.to_string()).as_deref(), Some("451"));
    }
    smtp.send(note("grey@example.cn", "b")).await.unwrap();

    // Rules change while the sink runs: now the whole message is tempfailed once, slowly.
    sink.set_rules(Rules {
        tempfail_data: 1,
        delay_data_ms: 200,
        ..Rules::default()
    });
    let err = smtp.send(note("gone@example.cn", "c")).await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    let started = std::time::Instant::now();
    smtp.send(note("gone@example.cn", "c")).await.unwrap();
    assert!(started.elapsed() >= std::time::Duration::from_millis(200));

    let mails = sink.wait_for(2);
    let got: Vec<(&str, &[String])> = mails
        .iter()
        .map(|m| (m.subject.as_str(), m.rcpt_tos.as_slice()))
        .collect();
    assert_eq!(
        got,
        [
            ("b", &["grey@example.cn".to_string()][..]),
            ("c", &["gone@example.cn".to_string()][..]),
        ]
    );
    // lettre's extra CRLF at the end of DATA (see above) lands in a single-part body.
    assert_eq!(mails[0].text.as_deref(), Some("b\n\n"));
    assert_eq!(mails[0].content_type, "text/plain");
    assert!(!mails[0].is_multipart);
    assert_eq!(mails[0].html, None);
}

#[tokio::test]
#[cfg_attr(
    no_aiosmtpd,
    ignore = "needs Python with aiosmtpd (set TIDINGS_PYTHON)"
)]
async fn stopped_sink_refuses_and_restarts_on_the_same_port() {
    let Some(mut sink) = SmtpSink::start() else {
        return;
    };
    let port = sink.port;
    transport(&sink)
        .send(note("a@example.cn", "first"))
        .await
        .unwrap();

    sink.stop();
    let refused = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    let err = transport(&sink)
        .send(note("a@example.cn", "lost"))
        .await
        .unwrap_err();
    assert!(!err.is_permanent() && !err.is_transient(), "{err:?}");
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(&err);
    let mut io_kind = None;
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            io_kind = Some(io.kind());
        }
        source = e.source();
    }
    assert_eq!(
        io_kind,
        Some(std::io::ErrorKind::ConnectionRefused),
        "{err:?}"
    );

    sink.restart();
    assert_eq!(sink.port, port);
    transport(&sink)
        .send(note("a@example.cn", "second"))
        .await
        .unwrap();
    let subjects: Vec<String> = sink.wait_for(2).into_iter().map(|m| m.subject).collect();
    assert_eq!(subjects, ["first", "second"]);
    let eml: Vec<_> = std::fs::read_dir(sink.mail_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".eml"))
        .collect();
    assert_eq!(eml.len(), 2, "{eml:?}");
    assert!(eml.contains(&"000002.eml".to_string()), "{eml:?}");
}

#[tokio::test]
#[cfg_attr(
    no_aiosmtpd,
    ignore = "needs Python with aiosmtpd (set TIDINGS_PYTHON)"
)]
async fn auth_is_required_when_configured() {
    let Some(sink) = SmtpSink::start_with_auth(Rules::default(), "tidings", "s3cret") else {
        return;
    };
    let with = |user: &str, password: &str| {
        Transport::from_url(&sink.url())
            .unwrap()
            .credentials(Credentials::new(user.into(), password.into()))
            .build()
    };

    let err = transport(&sink)
        .send(note("a@example.cn", "anonymous"))
        .await
        .unwrap_err();
    assert!(err.is_permanent(), "{err:?}");
    assert_eq!(err.status().map(|c| c.to_string()).as_deref(), Some("530"));

    let err = with("tidings", "wrong")
        .send(note("a@example.cn", "wrong"))
        .await
        .unwrap_err();
    assert!(err.is_permanent(), "{err:?}");
    assert_eq!(err.status().map(|c| c.to_string()).as_deref(), Some("535"));

    with("tidings", "s3cret")
        .send(note("a@example.cn", "signed in"))
        .await
        .unwrap();
    let mails = sink.wait_for(1);
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject, "signed in");
}
