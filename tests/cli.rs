//! The command line as scripts use it: exit codes and output formats.

use std::path::Path;
use std::process::{Command, Output};

fn tidings(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tidings"))
        .args(args)
        .output()
        .unwrap()
}

fn manifest(p: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(p)
        .display()
        .to_string()
}

#[test]
fn check_accepts_the_example_and_reports_errors_with_positions() {
    let out = tidings(&["check", "-c", &manifest("feeds.toml")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("OK: 4 sources, 3 feeds"), "{stdout}");

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("feeds.toml");
    std::fs::write(&bad, "[daemon]\ntimezone = \"Mars/Olympus\"\n\n[[source]]\nid = \"a\"\nurl = \"not a url\"\nshedule = \"0 * * * * *\"\n").unwrap();
    let out = tidings(&["check", "-c", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let at = |l: usize, c: usize| format!("{}:{l}:{c}: ", bad.display());
    assert!(
        lines
            .iter()
            .any(|x| x.starts_with(&at(2, 12)) && x.contains("Mars/Olympus")),
        "{stderr}"
    );
    assert!(lines.iter().any(|x| x.starts_with(&at(6, 7))), "{stderr}");
    assert!(
        lines
            .iter()
            .any(|x| x.starts_with(&at(7, 1)) && x.contains("shedule")),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(tidings(&["poll", "--no-such-flag"]).status.code(), Some(2));
    assert_eq!(tidings(&["frobnicate"]).status.code(), Some(2));
    let out = tidings(&[
        "poll",
        "-c",
        &manifest("feeds.toml"),
        "--source",
        "nope",
        "--dry-run",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("no source with id \"nope\""));
}

#[test]
fn a_missing_file_is_a_clear_failure() {
    let out = tidings(&["extract", "/nonexistent/page.html"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/page.html"));
}

#[test]
fn export_opml_lists_every_feed() {
    let out = tidings(&["export", "opml", "-c", &manifest("feeds.toml")]);
    assert_eq!(out.status.code(), Some(0));
    let opml = String::from_utf8(out.stdout).unwrap();
    assert!(opml.contains("<opml version=\"2.0\""), "{opml}");
    for id in ["gov", "all", "tech"] {
        assert!(
            opml.contains(&format!("/feeds/{id}.atom")),
            "{id} in {opml}"
        );
    }
}

#[test]
fn extract_and_scan_read_local_files_as_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let page = "<html><head><title>科协开展科普活动_某某州人民政府</title></head><body><div class=nav><a href=/>首页</a><a href=/a>政务公开</a></div><h1>科协开展科普活动</h1><div>发布时间：2022-09-07 10:45 来源：博州日报</div><div class=content><p>9月6日，自治州科协组织开展科普大篷车进基层活动，走进博乐市青得里镇，为当地群众送去丰富多彩的科普展品和科普图书，受到广大群众的欢迎和好评。</p><p>活动现场，科技工作者向群众讲解了棉花病虫害防治、农业机械安全使用等实用技术，并发放科普资料三千余份。</p></div></body></html>";
    let (gbk, _, _) = encoding_rs::GBK.encode(page);
    let f = dir.path().join("a.html");
    std::fs::write(&f, &gbk).unwrap();
    let out = tidings(&[
        "extract",
        f.to_str().unwrap(),
        "--json",
        "--url",
        "http://www.example.gov.cn/zwdt/t20220907_1.html",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["title"], "科协开展科普活动");
    assert_eq!(v["published"], "2022-09-07T10:45:00+08:00");
    assert_eq!(v["origin"], "博州日报");
    assert_eq!(v["url"], "http://www.example.gov.cn/zwdt/t20220907_1.html");
    assert!(v["content_text"].as_str().unwrap().contains("科普大篷车"));
    assert!(v.get("source").is_none() && v.get("status").is_none());
}
